import type { CacheBackend, CacheMutex, MaybePromise, StoredValue } from './backends/api.js';
import { isSyncBackend } from './backends/api.js';
import { describe } from './time.js';
import { NO_VALUE, type NoValue } from './values.js';

/** The async-named methods a subclass may override, each with the synchronous twin that must honour it. */
const SYNC_TWINS = [
  ['get', 'getSync'],
  ['set', 'setSync'],
  ['delete', 'deleteSync'],
  ['getMulti', 'getMultiSync'],
  ['setMulti', 'setMultiSync'],
  ['deleteMulti', 'deleteMultiSync'],
] as const;
type ProxiedMethod = (typeof SYNC_TWINS)[number][number];

/**
 * A backend that forwards to the backend it wraps (`this.proxied`). Subclass it and override any
 * method to observe or change what reaches the store; give instances or classes to
 * `configure({ wrap })` or `region.wrap()`. Proxies stack: each wraps the one inside it.
 *
 * Overriding `get`, `set`, `delete` (or their multi forms) is enough: the synchronous twins
 * (`getSync`, ...) call the override, so `getSync`, `getOrCreateSync` and synchronous decorated
 * functions pass through it too. An override declared `async` cannot answer synchronously; a
 * region over such a proxy takes the async path (override the `*Sync` twin as well to keep it).
 */
export class ProxyBackend implements CacheBackend {
  private inner: CacheBackend | undefined;

  /** The backend this proxy forwards to. */
  get proxied(): CacheBackend {
    if (this.inner === undefined) throw new TypeError(`${this.constructor.name} is not wrapping a backend yet; call wrap(backend) first.`);
    return this.inner;
  }

  /** Wraps `backend` and returns this proxy. */
  wrap(backend: CacheBackend): this {
    if (backend === null || typeof backend !== 'object' || typeof backend.get !== 'function') {
      throw new TypeError(`${this.constructor.name}.wrap() needs a cache backend or another proxy; got ${describe(backend)}.`);
    }
    this.inner = backend;
    return this;
  }

  get serialized(): boolean {
    return this.proxied.serialized === true;
  }

  get(key: string): MaybePromise<StoredValue | NoValue> {
    return this.proxied.get(key);
  }

  set(key: string, value: StoredValue): MaybePromise<void> {
    return this.proxied.set(key, value);
  }

  delete(key: string): MaybePromise<void> {
    return this.proxied.delete(key);
  }

  getMulti(keys: readonly string[]): MaybePromise<Array<StoredValue | NoValue>> {
    const backend = this.proxied;
    if (backend.getMulti) return backend.getMulti(keys);
    return Promise.all(keys.map((key) => backend.get(key)));
  }

  async setMulti(entries: ReadonlyArray<readonly [string, StoredValue]>): Promise<void> {
    const backend = this.proxied;
    if (backend.setMulti) return backend.setMulti(entries);
    for (const [key, value] of entries) await backend.set(key, value);
  }

  async deleteMulti(keys: readonly string[]): Promise<void> {
    const backend = this.proxied;
    if (backend.deleteMulti) return backend.deleteMulti(keys);
    for (const key of keys) await backend.delete(key);
  }

  getMutex(key: string): CacheMutex | null | undefined {
    return this.proxied.getMutex?.(key);
  }

  getSync(key: string): StoredValue | NoValue {
    const backend = this.syncBackend('getSync');
    if (this.overrides('get')) return this.expectSync('get', this.get(key));
    return backend.getSync!(key);
  }

  setSync(key: string, value: StoredValue): void {
    const backend = this.syncBackend('setSync');
    if (this.overrides('set')) return this.expectSync('set', this.set(key, value));
    backend.setSync!(key, value);
  }

  deleteSync(key: string): void {
    const backend = this.syncBackend('deleteSync');
    if (this.overrides('delete')) return this.expectSync('delete', this.delete(key));
    backend.deleteSync!(key);
  }

  getMultiSync(keys: readonly string[]): Array<StoredValue | NoValue> {
    const backend = this.syncBackend('getMultiSync');
    if (this.overrides('getMulti')) return this.expectSync('getMulti', this.getMulti(keys));
    return backend.getMultiSync ? backend.getMultiSync(keys) : keys.map((key) => backend.getSync?.(key) ?? NO_VALUE);
  }

  setMultiSync(entries: ReadonlyArray<readonly [string, StoredValue]>): void {
    const backend = this.syncBackend('setMultiSync');
    if (this.overrides('setMulti')) return this.expectSync('setMulti', this.setMulti(entries));
    if (backend.setMultiSync) backend.setMultiSync(entries);
    else for (const [key, value] of entries) backend.setSync!(key, value);
  }

  deleteMultiSync(keys: readonly string[]): void {
    const backend = this.syncBackend('deleteMultiSync');
    if (this.overrides('deleteMulti')) return this.expectSync('deleteMulti', this.deleteMulti(keys));
    if (backend.deleteMultiSync) backend.deleteMultiSync(keys);
    else for (const key of keys) backend.deleteSync!(key);
  }

  /** Whether a subclass replaced `method`, so the synchronous twin must go through it. */
  private overrides(method: ProxiedMethod): boolean {
    return this[method] !== ProxyBackend.prototype[method];
  }

  private expectSync<T>(method: ProxiedMethod, result: MaybePromise<T>): T {
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      Promise.resolve(result).catch(() => {});
      throw new TypeError(
        `${this.constructor.name}.${method}() answered with a promise, so the synchronous API cannot pass through it; ` +
          `override ${method}Sync() as well, or use the async methods.`,
      );
    }
    return result as T;
  }

  private syncBackend(method: string): CacheBackend {
    const backend = this.proxied;
    if (!supportsSync(backend)) {
      throw new TypeError(`${method}: the backend under ${this.constructor.name} (${backend.constructor.name}) cannot answer synchronously; use the async API.`);
    }
    return backend;
  }
}

/**
 * Whether a backend, looking through any proxies around it, answers synchronously: the backend
 * under the proxies must, and no proxy may have an `async` override without a synchronous twin.
 */
export function supportsSync(backend: CacheBackend): boolean {
  let current: CacheBackend = backend;
  while (current instanceof ProxyBackend) {
    if (hasAsyncOnlyOverride(current)) return false;
    current = current.proxied;
  }
  return isSyncBackend(current);
}

function hasAsyncOnlyOverride(proxy: ProxyBackend): boolean {
  const base = ProxyBackend.prototype;
  return SYNC_TWINS.some(
    ([method, twin]) => proxy[method] !== base[method] && proxy[twin] === base[twin] && proxy[method].constructor.name === 'AsyncFunction',
  );
}

/** The backend under every proxy. */
export function innermostBackend(backend: CacheBackend): CacheBackend {
  let current: CacheBackend = backend;
  while (current instanceof ProxyBackend) current = current.proxied;
  return current;
}
