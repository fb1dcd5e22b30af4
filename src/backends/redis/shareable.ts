// Turning backend options into a structured-cloneable handle for `share()` / `attach()`.
import { DogpileCacheError } from '../../errors.js';

/**
 * A copy of `value` without functions (a retry strategy, a NAT-map function): they cannot cross
 * into another thread, which then uses the defaults for them. Plain objects and arrays are copied;
 * Buffers and other cloneable values are kept.
 */
export function cloneableCopy(value: unknown): unknown {
  if (typeof value === 'function') return undefined;
  if (Array.isArray(value)) return value.map(cloneableCopy);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string, unknown> = {};
    for (const [name, entry] of Object.entries(value)) {
      const copied = cloneableCopy(entry);
      if (copied !== undefined) copy[name] = copied;
    }
    return copy;
  }
  return value;
}

export function cloneableOptions(args: Readonly<Record<string, unknown>>, omit: readonly string[] = ['client']): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(args)) {
    if (omit.includes(name)) continue;
    const copied = cloneableCopy(entry);
    // null is no option's value; a client's unset fields (username: null) must read as "not given".
    if (copied !== undefined && copied !== null) copy[name] = copied;
  }
  return copy;
}

/** Checks a handle given to a backend class's static `attach`. */
export function readHandle(backend: string, handle: unknown): Readonly<Record<string, unknown>> {
  const candidate = handle as { backend?: unknown; options?: unknown } | null;
  if (candidate === null || typeof candidate !== 'object' || candidate.backend !== backend || typeof candidate.options !== 'object' || candidate.options === null) {
    throw new DogpileCacheError(`${backend} backend: attach() needs the handle returned by share() of a ${backend} backend.`);
  }
  return candidate.options as Readonly<Record<string, unknown>>;
}
