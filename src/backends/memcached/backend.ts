import { DogpileCacheError, ValidationError, ValueTooLargeError } from '../../errors.js';
import { describe } from '../../time.js';
import type { NoValue } from '../../values.js';
import type {
  BackendArguments,
  BackendEvent,
  BackendEventSink,
  CacheBackend,
  RegionOptionsForBackend,
  StoredValue,
} from '../api.js';
import { MemcachedConnection, MemcachedRefusedError } from './connection.js';
import { MemcachedKeys } from './keys.js';
import { MemcachedMutex, type MemcachedLockHost, type MemcachedLockSettings } from './lock.js';
import { resolveMemcachedOptions, storeTtlMs, type MemcachedBackendOptions, type ResolvedMemcachedOptions } from './options.js';
import { MAX_RELATIVE_EXPIRATION_SECONDS, memcachedExpiration } from './ttl.js';

/** memcached's per-item bookkeeping (item header, CAS, terminators), measured at 59 bytes on 1.6. */
export const ITEM_OVERHEAD_BYTES = 64;

/** What `share()` hands to another thread; `MemcachedBackend.attach` opens its own connections from it. */
export interface MemcachedBackendHandle {
  readonly kind: 'memcached';
  readonly arguments: MemcachedBackendOptions;
  readonly region: RegionOptionsForBackend | undefined;
}

/**
 * A cache backend over memcached (memjs, binary protocol). Stores the region's envelope bytes,
 * makes every key safe for memcached, refuses values over the item limit before sending them, and
 * offers a cross-process creation lock built on `add`.
 *
 * Every operation is bounded by `operationTimeout`; a server that cannot be reached makes the
 * operation fail with `BackendUnavailableError`, on which the region fails open.
 */
export class MemcachedBackend implements CacheBackend {
  readonly serialized = true;
  readonly options: ResolvedMemcachedOptions;
  private readonly args: MemcachedBackendOptions;
  private readonly connection: MemcachedConnection;
  private readonly keys: MemcachedKeys;
  private readonly lockHost: MemcachedLockHost;
  private region: RegionOptionsForBackend | undefined;
  private ttlMs: number;
  /** The expiration field for `set`, when it does not depend on the clock (TTL up to 30 days). */
  private fixedExpiration: number | undefined;
  private sink: BackendEventSink | undefined;
  private closing: Promise<void> | undefined;

  constructor(args: BackendArguments = {}) {
    this.options = resolveMemcachedOptions(args);
    this.args = { ...(args as MemcachedBackendOptions) };
    this.connection = new MemcachedConnection(this.options);
    this.keys = new MemcachedKeys(this.options.prefix);
    this.ttlMs = storeTtlMs(this.options, undefined);
    this.fixedExpiration = this.expirationIsFixed() ? memcachedExpiration(this.ttlMs) : undefined;
    const options = this.options;
    const settings: MemcachedLockSettings = {
      leaseSeconds: options.lockLeaseSeconds,
      renewIntervalMs: options.lockRenewIntervalMs,
      retryMinMs: options.lockRetryMinMs,
      retryMaxMs: options.lockRetryMaxMs,
      defaultTimeoutMs: () => options.lockTimeoutMs ?? this.regionLockTimeout() ?? options.lockLeaseSeconds * 1000,
      // A check-then-delete must finish well inside the lease: two operations at most, and never
      // more than half of the slack a renewal leaves.
      safetyMarginMs: Math.min(
        2 * options.operationTimeoutMs,
        ((options.lockLeaseSeconds - 1) * 1000 - options.lockRenewIntervalMs) / 2,
      ),
    };
    this.lockHost = {
      connection: this.connection,
      settings,
      held: new Set<MemcachedMutex>(),
      emit: (event: BackendEvent) => this.sink?.(event),
    };
  }

  /** Rebuilds a backend in another thread from `share()`'s handle, with its own connections. */
  static attach(handle: unknown): MemcachedBackend {
    const shared = handle as Partial<MemcachedBackendHandle> | null;
    if (shared === null || typeof shared !== 'object' || shared.kind !== 'memcached' || typeof shared.arguments !== 'object') {
      throw new ValidationError(`MemcachedBackend.attach needs the handle returned by share(); got ${describe(handle)}.`);
    }
    const backend = new MemcachedBackend(shared.arguments as BackendArguments);
    if (shared.region !== undefined) backend.useRegionOptions(shared.region);
    return backend;
  }

  /**
   * Told by the region at configure time: the store TTL follows the region's expiration time
   * (unless `memcachedExpireTime` is given) and lock waits default to its lock timeout.
   */
  useRegionOptions(region: RegionOptionsForBackend): void {
    this.region = region;
    this.ttlMs = storeTtlMs(this.options, region.expirationTimeMs);
    this.fixedExpiration = this.expirationIsFixed() ? memcachedExpiration(this.ttlMs) : undefined;
  }

  /** The store TTL applied by `set`, in ms (`Infinity`: none). */
  get storeTtlMs(): number {
    return this.ttlMs;
  }

  setEventSink(sink: BackendEventSink): void {
    this.sink = sink;
  }

  /** The memcached key a region key is stored under (after the prefix and key-safety rules). */
  memcachedKey(key: string): string {
    return this.keys.valueKey(key);
  }

  /** The memcached key of a region key's lock record. */
  memcachedLockKey(key: string): string {
    return this.keys.lockKey(key);
  }

  get(key: string): Promise<Uint8Array | NoValue> {
    return this.connection.getValue(this.keys.valueKey(key));
  }

  /** memcached's binary protocol has no multi-get in memjs: the gets run concurrently on the pipelined connections. */
  getMulti(keys: readonly string[]): Promise<Array<Uint8Array | NoValue>> {
    return Promise.all(keys.map((key) => this.connection.getValue(this.keys.valueKey(key))));
  }

  async set(key: string, value: StoredValue): Promise<void> {
    const memcachedKey = this.keys.valueKey(key);
    const bytes = this.checkedBytes(key, memcachedKey, value);
    await this.store(key, memcachedKey, bytes);
  }

  /** Every value is checked against the item limit before any is sent. */
  async setMulti(entries: ReadonlyArray<readonly [string, StoredValue]>): Promise<void> {
    const checked = entries.map(([key, value]) => {
      const memcachedKey = this.keys.valueKey(key);
      return [key, memcachedKey, this.checkedBytes(key, memcachedKey, value)] as const;
    });
    await Promise.all(checked.map(([key, memcachedKey, bytes]) => this.store(key, memcachedKey, bytes)));
  }

  async delete(key: string): Promise<void> {
    await this.connection.delete(this.keys.valueKey(key));
  }

  async deleteMulti(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.connection.delete(this.keys.valueKey(key))));
  }

  /** The cross-process creation lock for `key`, or `undefined` with `distributedLock: false`. */
  getMutex(key: string): MemcachedMutex | undefined {
    if (!this.options.distributedLock) return undefined;
    return new MemcachedMutex(this.lockHost, key, this.keys.lockKey(key));
  }

  share(): MemcachedBackendHandle {
    return { kind: 'memcached', arguments: this.args, region: this.region };
  }

  /** Releases the locks this backend holds (best effort), then closes the connections. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    const held = [...this.lockHost.held];
    await Promise.all(
      held.map((mutex) =>
        mutex.release().catch(() => {
          // Unreachable server: the lease ends the lock on its own.
          mutex.abandon();
        }),
      ),
    );
    await this.connection.close();
  }

  private regionLockTimeout(): number | undefined {
    const timeout = this.region?.lockTimeoutMs;
    return timeout !== undefined && Number.isFinite(timeout) && timeout >= 0 ? timeout : undefined;
  }

  private expirationIsFixed(): boolean {
    return !Number.isFinite(this.ttlMs) || Math.ceil(this.ttlMs / 1000) <= MAX_RELATIVE_EXPIRATION_SECONDS;
  }

  private checkedBytes(key: string, memcachedKey: string, value: StoredValue): Uint8Array {
    if (!(value instanceof Uint8Array)) {
      throw new DogpileCacheError(
        `memcached backend stores serialized entries (Uint8Array); got ${describe(value)} for key ${JSON.stringify(key)}. ` +
          'Use it through a region, which serializes values for backends whose serialized flag is true.',
      );
    }
    const limit = this.options.maxItemBytes - Buffer.byteLength(memcachedKey) - ITEM_OVERHEAD_BYTES;
    if (value.byteLength > limit) {
      throw new ValueTooLargeError(
        key,
        value.byteLength,
        limit,
        `memcached stores at most maxItemBytes (${this.options.maxItemBytes}) per item, counting the key and ` +
          `${ITEM_OVERHEAD_BYTES} bytes of overhead; store a smaller value, or start memcached with a larger -I and raise maxItemBytes to match`,
      );
    }
    return value;
  }

  private async store(key: string, memcachedKey: string, bytes: Uint8Array): Promise<void> {
    const expiration = this.fixedExpiration ?? memcachedExpiration(this.ttlMs);
    try {
      await this.connection.set(memcachedKey, bytes, expiration);
    } catch (error) {
      if (error instanceof MemcachedRefusedError && error.status === 'Value too large') {
        throw new ValueTooLargeError(
          key,
          bytes.byteLength,
          this.options.maxItemBytes,
          "the server's item limit (memcached -I) is lower than maxItemBytes; set maxItemBytes to the server's limit so such values are refused before sending",
        );
      }
      throw error;
    }
  }
}
