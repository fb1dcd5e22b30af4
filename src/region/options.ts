import type { BackendArguments, CacheMutex } from '../backends/api.js';
import { ValidationError } from '../errors.js';
import type { ProxyBackend } from '../proxy.js';
import type { Deserializer, Serializer } from '../serialization/codec.js';
import { describe, parseDuration, type Duration } from '../time.js';
import type { RegionInvalidationStrategy } from './invalidation.js';
import type { FunctionKeyGenerator, FunctionMultiKeyGenerator, KeyMangler } from './keys.js';
import type { CacheRegion } from './region.js';

/**
 * Takes over creation of a value whose stale version is being served: it must produce the
 * value (for example on a queue), store it with `region.set(key, value)`, and release `mutex`
 * in every case.
 */
export type AsyncCreationRunner = (region: CacheRegion, key: string, creator: () => unknown, mutex: CacheMutex) => void;

/** Options of `makeRegion()`. */
export interface RegionOptions {
  /** A name for logs and events. Default: none. */
  name?: string;
  /** Builds keys for `cacheOnArguments`. Default: {@link functionKeyGenerator}. */
  functionKeyGenerator?: FunctionKeyGenerator;
  /** Builds keys for `cacheMultiOnArguments`. Default: {@link functionMultiKeyGenerator}. */
  functionMultiKeyGenerator?: FunctionMultiKeyGenerator;
  /** Applied to every key before it reaches the backend (e.g. `sha1MangleKey`). Default: none. */
  keyMangler?: KeyMangler;
  /** Turns payloads into bytes; stored values then are bytes even on the memory backend. Default: msgpack for byte-storing backends. */
  serializer?: Serializer;
  /** Turns bytes back into payloads; may throw `CantDeserializeError` to make a read a miss. Default: msgpack. */
  deserializer?: Deserializer;
  /** Regenerates stale values outside the caller (see {@link AsyncCreationRunner}). Default: none. */
  asyncCreationRunner?: AsyncCreationRunner;
}

/** What happens when a wait for another caller's creation outlasts `lockTimeout`. */
export type OnLockTimeout = 'error' | 'create';

/** Options that `configure()` sets as defaults and single calls may override. */
export interface PolicyOptions {
  /** Age after which a value is stale and regenerated. `-1` or unset: never expires; `0`: always. */
  expirationTime?: Duration;
  /** Longest wait for another caller's creation. Default `'30s'`. */
  lockTimeout?: Duration;
  /** On a timed-out wait: `'error'` throws `LockTimeoutError` (default), `'create'` creates without the lock. */
  onLockTimeout?: OnLockTimeout;
  /** Serve the stale value at once and regenerate it in the background (`close()` waits for it, at most `lockTimeout`). Default `false`. */
  backgroundRefresh?: boolean;
}

/** Options of `configure()`. */
export interface ConfigureOptions extends PolicyOptions {
  /** Arguments for the backend's constructor; never mutated. Default `{}`. */
  arguments?: BackendArguments;
  /** Proxies around the backend; the first is outermost. Classes are constructed with no arguments. Default: none. */
  wrap?: ReadonlyArray<ProxyBackend | (new () => ProxyBackend)>;
  /** Allows configuring an already configured region, replacing its backend. Default `false`. */
  replaceExistingBackend?: boolean;
  /** Replaces the default invalidation strategy. Default: {@link DefaultInvalidationStrategy}. */
  regionInvalidator?: RegionInvalidationStrategy;
  /**
   * When the backend is unreachable: `true` (default) makes reads miss and creators run, counted in
   * `stats().backendErrors` and emitted as `backendError`; `false` throws `BackendUnavailableError`.
   */
  failOpen?: boolean;
}

/** Options of `get`, `getMulti`, `getValueMetadata`. */
export interface GetOptions {
  /** Overrides the region's expiration time for this read only; it is not stored. */
  expirationTime?: Duration;
  /** Returns the value however old or invalidated it is. Default `false`. */
  ignoreExpiration?: boolean;
}

/** Options of `getOrCreate` and `getOrCreateSync`. */
export interface GetOrCreateOptions<T, A extends unknown[] = unknown[]> extends PolicyOptions {
  /** Decides whether a created value is stored; it is returned either way. Default: always store. */
  shouldCacheFn?: (value: T) => boolean;
  /** Arguments passed to the creator. Default: none. */
  creatorArgs?: A;
}

/** Options of `getOrCreateMulti`. */
export interface GetOrCreateMultiOptions<T> extends Omit<PolicyOptions, 'backgroundRefresh'> {
  /** Decides per value whether it is stored; all values are returned. Default: always store. */
  shouldCacheFn?: (value: T) => boolean;
}

/** Policy with durations resolved to milliseconds. */
export interface ResolvedPolicy {
  readonly expirationMs: number;
  readonly lockTimeoutMs: number;
  readonly onLockTimeout: OnLockTimeout;
  readonly backgroundRefresh: boolean;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

export function resolvePolicy(options: PolicyOptions, base?: ResolvedPolicy): ResolvedPolicy {
  return {
    expirationMs: parseDuration(options.expirationTime, 'expirationTime', base?.expirationMs),
    lockTimeoutMs: parseDuration(options.lockTimeout, 'lockTimeout', base?.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS),
    onLockTimeout: readOnLockTimeout(options.onLockTimeout, base?.onLockTimeout ?? 'error'),
    backgroundRefresh: readBoolean(options.backgroundRefresh, 'backgroundRefresh', base?.backgroundRefresh ?? false),
  };
}

function readOnLockTimeout(value: unknown, fallback: OnLockTimeout): OnLockTimeout {
  if (value === undefined) return fallback;
  if (value === 'error' || value === 'create') return value;
  throw new ValidationError(`onLockTimeout must be 'error' or 'create'; got ${describe(value)}.`);
}

export function readBoolean(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  throw new ValidationError(`${option} must be true or false; got ${describe(value)}.`);
}

export function readFunction<F>(value: unknown, option: string): F | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'function') return value as F;
  throw new ValidationError(`${option} must be a function; got ${describe(value)}.`);
}
