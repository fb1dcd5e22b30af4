import type { CachedValue, NoValue } from '../values.js';

export type MaybePromise<T> = T | Promise<T>;

/** Whether a `MaybePromise` (or any value) is to be awaited. */
export function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * What a backend stores for a key: a {@link CachedValue} object for backends that keep values in
 * memory as they are, or envelope bytes (see `serialization/envelope.ts`) for backends whose
 * `serialized` flag is true.
 */
export type StoredValue = CachedValue | Uint8Array;

/** The arguments object given to a backend constructor. Backends must never mutate it. */
export type BackendArguments = Readonly<Record<string, unknown>>;

/**
 * A per-key creation lock. `acquire(false)` tries once; `acquire(true, timeoutMs)` waits up to
 * `timeoutMs` and resolves `false` when the wait ran out. `locked()` reports whether anyone holds it.
 */
export interface CacheMutex {
  acquire(wait?: boolean, timeoutMs?: number): MaybePromise<boolean>;
  release(): MaybePromise<void>;
  locked(): MaybePromise<boolean>;
}

/** A mutex that can also be used from synchronous code, blocking the thread while it waits. */
export interface SyncCacheMutex extends CacheMutex {
  acquireSync(wait?: boolean, timeoutMs?: number): boolean;
  releaseSync(): void;
  lockedSync(): boolean;
}

export function isSyncMutex(mutex: CacheMutex): mutex is SyncCacheMutex {
  return typeof (mutex as Partial<SyncCacheMutex>).acquireSync === 'function';
}

/** Region-wide invalidation state: entries created before `at` (epoch ms) are invalid. */
export interface InvalidationState {
  readonly at: number;
  readonly hard: boolean;
}

/**
 * Where a backend that is shared by several threads or processes keeps the region's invalidation
 * state, so that `region.invalidate()` anywhere reaches every region over the same storage.
 * Reads are on the hot path: keep them cheap.
 */
export interface InvalidationStore {
  read(): InvalidationState | undefined;
  write(state: InvalidationState): void;
}

export const STAT_NAMES = [
  'hits',
  'misses',
  'staleServed',
  'creations',
  'creatorErrors',
  'lockWaits',
  'lockTimeouts',
  'evictions',
  'backendErrors',
  'deserializeErrors',
] as const;
export type StatName = (typeof STAT_NAMES)[number];
export type CacheStats = Record<StatName, number>;

/**
 * Where a region counts its statistics. Backends shared across threads supply one that lives in
 * the shared storage so `stats()` sums every thread.
 */
export interface StatsStore {
  increment(name: StatName, by?: number): void;
  snapshot(): CacheStats;
}

/** Something a backend wants its region's listeners to hear about. */
export type BackendEvent =
  | { readonly type: 'lockLost'; readonly key: string; readonly detail?: string }
  | { readonly type: 'backendError'; readonly operation: string; readonly key?: string; readonly error: unknown }
  | { readonly type: 'eviction'; readonly count: number };

export type BackendEventSink = (event: BackendEvent) => void;

/**
 * The storage behind a region. Only `get`, `set` and `delete` are required; each may answer
 * synchronously or with a promise. `get` returns `NO_VALUE` for a miss.
 */
export interface CacheBackend {
  /** True when the backend stores envelope bytes (`Uint8Array`) instead of `CachedValue` objects. */
  readonly serialized?: boolean;
  /**
   * True when every read must hand the caller its own copy of the value. Otherwise the region
   * may give callers the same decoded object while a key's stored bytes are unchanged.
   */
  readonly freshCopies?: boolean;

  get(key: string): MaybePromise<StoredValue | NoValue>;
  set(key: string, value: StoredValue): MaybePromise<void>;
  delete(key: string): MaybePromise<void>;

  getMulti?(keys: readonly string[]): MaybePromise<Array<StoredValue | NoValue>>;
  setMulti?(entries: ReadonlyArray<readonly [string, StoredValue]>): MaybePromise<void>;
  deleteMulti?(keys: readonly string[]): MaybePromise<void>;

  /** The creation lock for a key; without it the region uses its own in-process lock. */
  getMutex?(key: string): CacheMutex | null | undefined;

  /** Synchronous variants; a backend that has `getSync`, `setSync` and `deleteSync` is sync-capable. */
  getSync?(key: string): StoredValue | NoValue;
  setSync?(key: string, value: StoredValue): void;
  deleteSync?(key: string): void;
  getMultiSync?(keys: readonly string[]): Array<StoredValue | NoValue>;
  setMultiSync?(entries: ReadonlyArray<readonly [string, StoredValue]>): void;
  deleteMultiSync?(keys: readonly string[]): void;

  /** Shared invalidation state, for backends shared by several threads or processes. */
  readonly invalidationStore?: InvalidationStore;
  /** Shared statistics counters, for backends shared by several threads. */
  readonly statsStore?: StatsStore;
  /**
   * Called once by the region at configure time, before any other call, for backends that take
   * `CachedValue` objects (`serialized` not set) but store bytes themselves. Such a backend's
   * `set` must also take envelope bytes already encoded with this codec (the `tiered` backend
   * hands over the bytes it made for its other tiers rather than a value to encode again).
   */
  useCodec?(codec: ValueCodec): void;
  /**
   * Called by the region at configure time with the region's own settings, for backends whose
   * store-level TTL follows the region's expiration time (Redis, memcached).
   */
  useRegionOptions?(options: RegionOptionsForBackend): void;
  /** Receives events the backend wants reported (lost locks, unreachable servers). */
  setEventSink?(sink: BackendEventSink): void;
  /** A structured-cloneable handle another thread passes to the backend class's static `attach`. */
  share?(): unknown;
  /** Releases connections, timers, file handles and held locks. */
  close?(): MaybePromise<void>;
}

/**
 * The region's value codec, handed to backends that store bytes themselves but want to keep
 * decoded values (for example a per-thread cache of decoded entries over shared memory).
 * `decode` never throws: undecodable bytes give `NO_VALUE` and are reported by the region.
 */
export interface ValueCodec {
  encode(value: CachedValue): Uint8Array;
  decode(bytes: Uint8Array, key: string): CachedValue | NoValue;
}

/** What a region tells its backend about itself. */
export interface RegionOptionsForBackend {
  /** The region's expiration time in ms; `Infinity` when values never expire. */
  readonly expirationTimeMs: number;
  /** The region's lock timeout in ms. */
  readonly lockTimeoutMs: number;
}

/** A backend class: constructed with the `arguments` object of `configure()`. */
export interface CacheBackendClass {
  new (args: BackendArguments): CacheBackend;
  /** Builds a backend in another thread from the handle `share()` returned. */
  attach?(handle: unknown): CacheBackend;
}

export function isSyncBackend(backend: CacheBackend): boolean {
  return (
    typeof backend.getSync === 'function' && typeof backend.setSync === 'function' && typeof backend.deleteSync === 'function'
  );
}
