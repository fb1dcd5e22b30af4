// What the three Redis backends share: reads, writes, deletes (single and multi), the store-level
// TTL, the distributed lock and fencing, events and closing. The subclasses only decide how to
// connect and how keys are laid out.
import type {
  BackendEvent,
  BackendEventSink,
  CacheBackend,
  CacheMutex,
  InvalidationStore,
  RegionOptionsForBackend,
  StoredValue,
} from '../api.js';
import { NO_VALUE, type NoValue } from '../../values.js';
import { NEVER } from '../../time.js';
import { toBackendError, type RedisClient, type RedisConnection } from './connection.js';
import { FencingRegistry, fencedWrite } from './fencing.js';
import type { KeyLayout } from './keys.js';
import { RedisMutex, type LockContext } from './lock.js';
import { effectiveRedisExpiration, type CommonSettings } from './options.js';
import { RedisInvalidationStore } from './invalidation.js';
import { ReleaseNotifications } from './release-notifications.js';
import { Subscriptions } from './subscriptions.js';

function toStored(reply: Buffer | null): StoredValue | NoValue {
  return reply === null ? NO_VALUE : reply;
}

function toBuffer(value: StoredValue): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError('The Redis backends store envelope bytes (they are serialized backends); got a CachedValue object.');
}

/** A handle `share()` returns: the backend's name and structured-cloneable constructor options. */
export interface RedisShareHandle {
  readonly backend: 'redis' | 'redis-sentinel' | 'redis-cluster';
  readonly options: Readonly<Record<string, unknown>>;
}

export abstract class RedisBackendCore implements CacheBackend {
  /** Values are stored as envelope bytes. */
  readonly serialized = true;

  protected readonly connection: RedisConnection;
  protected readonly client: RedisClient;
  protected readonly layout: KeyLayout;
  protected readonly settings: CommonSettings;

  private sink: BackendEventSink | undefined;
  private valueTtl: number;
  private regionLockTimeoutMs: number | undefined;
  private closed = false;
  private readonly fencing = new FencingRegistry();
  private readonly heldMutexes = new Set<RedisMutex>();
  private readonly subscriptions: Subscriptions;
  private readonly notifications: ReleaseNotifications;
  private readonly lockContext: LockContext;
  private readonly sharedInvalidation: RedisInvalidationStore;

  /**
   * The region's invalidation state lives in Redis (`<prefix><lockPrefix>!invalidation`), so
   * `region.invalidate()` reaches every region over the same Redis and prefix, in any process.
   */
  get invalidationStore(): InvalidationStore {
    return this.sharedInvalidation;
  }

  protected constructor(settings: CommonSettings, makeConnection: (report: (event: BackendEvent) => void) => RedisConnection, layout: KeyLayout) {
    this.settings = settings;
    this.layout = layout;
    this.connection = makeConnection((event) => this.emit(event));
    this.client = this.connection.client;
    this.valueTtl = effectiveRedisExpiration(settings.redisExpirationMs, undefined);
    this.subscriptions = new Subscriptions(this.connection, (event) => this.emit(event));
    this.notifications = new ReleaseNotifications(this.subscriptions, layout.releaseChannel);
    this.sharedInvalidation = new RedisInvalidationStore(this.connection, layout, this.subscriptions, (event) => this.emit(event), () => this.valueTtl);
    this.lockContext = {
      connection: this.connection,
      layout,
      leaseMs: settings.lockLeaseMs,
      notifications: this.notifications,
      fencing: this.fencing,
      heldMutexes: this.heldMutexes,
      valueTtlMs: () => this.valueTtl,
      defaultWaitMs: () =>
        this.regionLockTimeoutMs !== undefined && Number.isFinite(this.regionLockTimeoutMs) && this.regionLockTimeoutMs > 0
          ? this.regionLockTimeoutMs
          : 3 * settings.lockLeaseMs,
      isClosed: () => this.closed,
      report: (event) => this.emit(event),
    };
  }

  /** The TTL values are written with, in ms (`Infinity`: none). */
  get redisExpirationMs(): number {
    return this.valueTtl;
  }

  /** The region's expiration time sets the default Redis TTL (see `redisExpirationTime`). */
  useRegionOptions(options: RegionOptionsForBackend): void {
    this.valueTtl = effectiveRedisExpiration(this.settings.redisExpirationMs, options.expirationTimeMs);
    this.regionLockTimeoutMs = options.lockTimeoutMs;
  }

  setEventSink(sink: BackendEventSink): void {
    this.sink = sink;
  }

  protected emit(event: BackendEvent): void {
    this.sink?.(event);
  }

  get(key: string): Promise<StoredValue | NoValue> {
    const dataKey = this.layout.dataKey(key);
    if (this.connection.isReady) {
      return this.client.getBuffer(dataKey).then(toStored, (error: unknown) => Promise.reject(toBackendError(error, 'GET', key)));
    }
    return this.connection.runWhenNotReady('GET', key, () => this.client.getBuffer(dataKey)).then(toStored);
  }

  set(key: string, value: StoredValue): Promise<void> {
    const bytes = toBuffer(value);
    const generation = this.fencing.generationFor(key);
    if (generation !== undefined) return this.setFenced(key, bytes, generation);
    const dataKey = this.layout.dataKey(key);
    const ttl = this.valueTtl;
    return this.connection.run('SET', key, () =>
      (ttl === NEVER ? this.client.set(dataKey, bytes) : this.client.set(dataKey, bytes, 'PX', ttl)).then(() => undefined),
    );
  }

  /** A write by the lock holder: refused by Redis when a newer holder already wrote. */
  private async setFenced(key: string, bytes: Buffer, generation: string): Promise<void> {
    const written = await this.connection.run('SET (fenced)', key, () =>
      fencedWrite(this.client, this.layout, key, bytes, generation, this.valueTtl, this.settings.lockLeaseMs),
    );
    if (!written) {
      this.emit({
        type: 'lockLost',
        key,
        detail: 'write refused: a caller holding a newer lock on this key already stored its value',
      });
    }
  }

  delete(key: string): Promise<void> {
    const dataKey = this.layout.dataKey(key);
    return this.connection.run('DEL', key, () => this.client.del(dataKey).then(() => undefined));
  }

  /** MGET per group of keys that may share a command (all keys, or per hash slot on a cluster). */
  async getMulti(keys: readonly string[]): Promise<Array<StoredValue | NoValue>> {
    if (keys.length === 0) return [];
    const results = new Array<StoredValue | NoValue>(keys.length);
    await Promise.all(
      this.layout.groupForMultiKey(keys).map(async (group) => {
        const dataKeys = group.map((index) => this.layout.dataKey(keys[index]!));
        const replies = await this.connection.run('MGET', undefined, () => this.client.mgetBuffer(...dataKeys));
        group.forEach((index, position) => {
          results[index] = toStored(replies[position] ?? null);
        });
      }),
    );
    return results;
  }

  /** Plain writes go out as one pipeline (per node on a cluster); writes under a held lock are fenced. */
  async setMulti(entries: ReadonlyArray<readonly [string, StoredValue]>): Promise<void> {
    if (entries.length === 0) return;
    const plain: Array<[string, Buffer]> = [];
    const fenced: Array<Promise<void>> = [];
    for (const [key, value] of entries) {
      const bytes = toBuffer(value);
      const generation = this.fencing.generationFor(key);
      if (generation === undefined) plain.push([key, bytes]);
      else fenced.push(this.setFenced(key, bytes, generation));
    }
    await Promise.all([this.writePlain(plain), ...fenced]);
  }

  /** One pipeline per group of keys that may share one (one group, or one per hash slot on a cluster). */
  private async writePlain(entries: ReadonlyArray<readonly [string, Buffer]>): Promise<void> {
    if (entries.length === 0) return;
    const ttl = this.valueTtl;
    const groups = this.layout.groupForMultiKey(entries.map(([key]) => key));
    await Promise.all(
      groups.map((group) =>
        this.connection.run('SET (pipelined)', undefined, async () => {
          const pipeline = this.client.pipeline();
          for (const index of group) {
            const [key, bytes] = entries[index]!;
            if (ttl === NEVER) pipeline.set(this.layout.dataKey(key), bytes);
            else pipeline.set(this.layout.dataKey(key), bytes, 'PX', ttl);
          }
          const results = (await pipeline.exec()) ?? [];
          const failed = results.find(([error]) => error);
          if (failed) throw failed[0];
        }),
      ),
    );
  }

  async deleteMulti(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await Promise.all(
      this.layout.groupForMultiKey(keys).map((group) => {
        const dataKeys = group.map((index) => this.layout.dataKey(keys[index]!));
        return this.connection.run('DEL', undefined, () => this.client.del(...dataKeys));
      }),
    );
  }

  /** The distributed lock of `key`, or `undefined` (the region's own lock) with `distributedLock: false`. */
  getMutex(key: string): CacheMutex | undefined {
    return this.settings.distributedLock ? new RedisMutex(this.lockContext, key) : undefined;
  }

  /** A handle for `attach` in another thread. */
  share(): RedisShareHandle {
    return { backend: this.backendName, options: this.shareableOptions() };
  }

  protected abstract readonly backendName: RedisShareHandle['backend'];
  protected abstract shareableOptions(): Readonly<Record<string, unknown>>;

  /** Releases held locks, drops the pub/sub connection and closes the client if this backend made it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.heldMutexes].map((mutex) => mutex.release()));
    this.notifications.close();
    this.sharedInvalidation.close();
    this.subscriptions.close();
    this.connection.close();
  }
}
