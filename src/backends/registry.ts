import { PluginNotFound } from '../errors.js';
import type { CacheBackendClass } from './api.js';

/** A function that imports the module defining a backend and returns its class. */
export type BackendLoader = () => Promise<CacheBackendClass | { default: CacheBackendClass }>;

const registry = new Map<string, CacheBackendClass | BackendLoader>();

/**
 * Registers a backend under a name usable in `configure(name)`: either the class itself, or a
 * function that imports it on first use (so an optional dependency is only loaded when asked for).
 * A later registration under the same name replaces the earlier one.
 */
export function registerBackend(name: string, backend: CacheBackendClass | BackendLoader): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`registerBackend needs a non-empty name; got ${String(name)}.`);
  }
  if (typeof backend !== 'function') {
    throw new TypeError(`registerBackend(${JSON.stringify(name)}) needs a backend class or a loader function.`);
  }
  registry.set(name, backend);
}

export function isBackendClass(candidate: CacheBackendClass | BackendLoader): candidate is CacheBackendClass {
  const proto = (candidate as { prototype?: { get?: unknown } }).prototype;
  return proto !== undefined && typeof proto.get === 'function';
}

/** The registered class or loader; `PluginNotFound` names what is registered. */
export function lookupBackend(name: string): CacheBackendClass | BackendLoader {
  const found = registry.get(name);
  if (found === undefined) {
    throw new PluginNotFound(
      `Couldn't find cache plugin to load: ${name}. Registered backends: ${[...registry.keys()].join(', ')}; ` +
        `add your own with registerBackend(name, BackendClass).`,
    );
  }
  return found;
}

export async function resolveLoader(name: string, loader: BackendLoader): Promise<CacheBackendClass> {
  const loaded = await loader();
  const backendClass = 'default' in loaded && typeof loaded.default === 'function' ? loaded.default : loaded;
  if (typeof backendClass !== 'function') {
    throw new PluginNotFound(`The loader registered for backend ${JSON.stringify(name)} did not return a backend class.`);
  }
  return backendClass as CacheBackendClass;
}

export function registeredBackendNames(): string[] {
  return [...registry.keys()];
}

/** The name a backend instance's class is registered under, if any. */
export function registeredNameOf(backend: object): string | undefined {
  for (const [name, entry] of registry) if (entry === backend.constructor) return name;
  return undefined;
}
