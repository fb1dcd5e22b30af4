import { threadId } from 'node:worker_threads';
import { DogpileCacheError, ValueTooLargeError } from '../../errors.js';
import { readCreatedAt } from '../../serialization/index.js';
import { NO_VALUE, type NoValue } from '../../values.js';
import type {
  BackendArguments,
  BackendEvent,
  BackendEventSink,
  CacheBackend,
  InvalidationStore,
  RegionOptionsForBackend,
  StatsStore,
  StoredValue,
  SyncCacheMutex,
  ValueCodec,
} from '../api.js';
import { envelopeCodec } from './codec.js';
import { DecodedCache } from './decoded-cache.js';
import type { ExpiredTest } from './eviction.js';
import { hashKey, isNarrowKey, storedKeyBytes } from './hashing.js';
import { SharedInvalidationStore } from './invalidation-store.js';
import { Header, bucketCountFor, initializeHeader, viewsOf, type LayoutParams, type TableViews } from './layout.js';
import { LockTable } from './lock-table.js';
import { SharedMemoryMutex, type MutexOwner } from './mutex.js';
import { resolveOptions } from './options.js';
import { readEntry } from './seqlock-read.js';
import { HANDLE_KIND, allocateTableBuffer, openHandle, type SharedMemoryHandle } from './share.js';
import { SharedStatsStore } from './stats-store.js';
import { SharedTable } from './table.js';
import { WriteLock } from './write-lock.js';

export type { SharedMemoryBackendOptions } from './options.js';
export type { SharedMemoryHandle } from './share.js';
export { SharedMemoryMutex } from './mutex.js';

/** Internal: an existing table for the constructor to open (what `attach` passes). */
export interface TableMemory {
  readonly buffer: SharedArrayBuffer;
  readonly params: LayoutParams;
  readonly localCacheEntries: number;
  readonly fresh: boolean;
}

interface PreparedWrite {
  readonly key: string;
  readonly hash: number;
  readonly narrow: boolean;
  readonly bytes: Uint8Array;
  readonly createdAt: number;
}

/** Sizes and counters of a table, for diagnostics, tests and the benchmark. */
export interface SharedMemoryInspection {
  readonly liveEntries: number;
  readonly maxEntries: number;
  readonly arenaBytes: number;
  readonly arenaUsedBytes: number;
  /** Bytes of the whole `SharedArrayBuffer`. */
  readonly sharedBytes: number;
  /** Bytes reserved per entry for the index (record, reference bit, buckets and their versions). */
  readonly indexBytesPerEntry: number;
  /** Bytes of the header, statistics lanes and lock table, independent of `maxEntries`. */
  readonly fixedBytes: number;
  /** Times a writer found the table's write lock abandoned by a dead thread and rebuilt the table. */
  readonly recoveries: number;
  /** Decoded values this thread keeps. */
  readonly decodedInThisThread: number;
}

/**
 * A cache table in one `SharedArrayBuffer` that every worker thread of a process reads and writes
 * directly, with a creation lock per key shared by all of them.
 *
 * Values come in as `CachedValue`s, are encoded with the region's codec into the shared arena, and
 * are decoded at most once per thread per version: later reads in that thread return the decoded
 * value after checking the entry's version stamp. Reads take no lock and retry on a concurrent
 * change (seqlock); writes are serialized by a table write lock; a full table evicts (CLOCK,
 * expired first). `share()` gives a handle for `workerData`, `SharedMemoryBackend.attach(handle)`
 * opens the same table in another thread. Region invalidation and statistics live in the shared
 * header, so they are global to every thread.
 */
export class SharedMemoryBackend implements CacheBackend {
  readonly invalidationStore: InvalidationStore;
  readonly statsStore: StatsStore;

  private readonly views: TableViews;
  private readonly table: SharedTable;
  private readonly writeLock: WriteLock;
  private readonly decoded: DecodedCache;
  private readonly mutexOwner: MutexOwner;
  private readonly localCacheEntries: number;
  private codec: ValueCodec = envelopeCodec;
  private sink: BackendEventSink | undefined;
  private expirationMs = Number.POSITIVE_INFINITY;
  private lockTimeoutMs = Number.NaN;

  /** Opens, in this thread, the table another thread's `share()` described. */
  static attach(handle: unknown): SharedMemoryBackend {
    const opened = openHandle(handle);
    return new SharedMemoryBackend(
      {},
      { buffer: opened.handle.buffer, params: opened.params, localCacheEntries: opened.handle.localCacheEntries, fresh: false },
    );
  }

  /**
   * @param args the `arguments` of `configure('shared-memory', …)`: see `SharedMemoryBackendOptions`.
   * @param memory internal: an existing table to open (used by `attach`).
   */
  constructor(args: BackendArguments = {}, memory?: TableMemory) {
    const opened = memory ?? SharedMemoryBackend.create(args);
    this.localCacheEntries = opened.localCacheEntries;
    this.views = viewsOf(opened.buffer, opened.params);
    this.table = new SharedTable(this.views);
    if (opened.fresh) {
      this.table.initialize();
      initializeHeader(this.views, Date.now());
    }
    this.writeLock = new WriteLock(this.views.header);
    this.decoded = new DecodedCache(this.localCacheEntries, this.views.entries, this.views.refs);
    this.statsStore = new SharedStatsStore(this.views.stats, threadId);
    this.invalidationStore = new SharedInvalidationStore(this.views.header, this.views.headerF64, (write) => this.exclusive(write));
    const lockTable = new LockTable(this.views, opened.params.lockLeaseMs);
    this.mutexOwner = {
      table: lockTable,
      held: new Set(),
      defaultWaitMs: () => (Number.isFinite(this.lockTimeoutMs) ? this.lockTimeoutMs : 2 * lockTable.leaseMs),
      report: (event) => this.report(event),
    };
  }

  private static create(args: BackendArguments): TableMemory {
    const options = resolveOptions(args);
    const params: LayoutParams = {
      maxEntries: options.maxEntries,
      bucketCount: bucketCountFor(options.maxEntries),
      lockSlots: options.lockSlots,
      arenaBytes: options.maxBytes,
      maxKeyBytes: options.maxKeyBytes,
      maxValueBytes: options.maxValueBytes,
      lockLeaseMs: options.lockLeaseMs,
    };
    return { buffer: allocateTableBuffer(params), params, localCacheEntries: options.localCacheEntries, fresh: true };
  }

  /** A structured-cloneable handle for `SharedMemoryBackend.attach` in another thread. */
  share(): SharedMemoryHandle {
    return { kind: HANDLE_KIND, buffer: this.views.buffer, localCacheEntries: this.localCacheEntries };
  }

  useCodec(codec: ValueCodec): void {
    this.codec = codec;
    this.decoded.clear();
  }

  useRegionOptions(options: RegionOptionsForBackend): void {
    this.expirationMs = options.expirationTimeMs;
    this.lockTimeoutMs = options.lockTimeoutMs;
  }

  setEventSink(sink: BackendEventSink): void {
    this.sink = sink;
  }

  // Reads -------------------------------------------------------------------------------------

  getSync(key: string): StoredValue | NoValue {
    const decoded = this.decoded.fresh(key);
    if (decoded !== undefined) return decoded;
    return this.readShared(key);
  }

  get(key: string): StoredValue | NoValue {
    return this.getSync(key);
  }

  getMultiSync(keys: readonly string[]): Array<StoredValue | NoValue> {
    const values = new Array<StoredValue | NoValue>(keys.length);
    for (let i = 0; i < keys.length; i++) values[i] = this.getSync(keys[i]!);
    return values;
  }

  getMulti(keys: readonly string[]): Array<StoredValue | NoValue> {
    return this.getMultiSync(keys);
  }

  private readShared(key: string): StoredValue | NoValue {
    const found = readEntry(this.views, key, hashKey(key));
    if (found === undefined) {
      this.decoded.forget(key);
      return NO_VALUE;
    }
    const value = this.codec.decode(found.bytes, key);
    this.decoded.remember(key, found.entry, found.seq, value);
    if (this.views.refs[found.entry] === 0) this.views.refs[found.entry] = 1;
    return value;
  }

  // Writes ------------------------------------------------------------------------------------

  setSync(key: string, value: StoredValue): void {
    this.write([this.prepare(key, value)]);
  }

  set(key: string, value: StoredValue): void {
    this.setSync(key, value);
  }

  setMultiSync(entries: ReadonlyArray<readonly [string, StoredValue]>): void {
    if (entries.length === 0) return;
    // Everything is encoded and checked before the first write, so a too-large value stores nothing.
    this.write(entries.map(([key, value]) => this.prepare(key, value)));
  }

  setMulti(entries: ReadonlyArray<readonly [string, StoredValue]>): void {
    this.setMultiSync(entries);
  }

  deleteSync(key: string): void {
    this.deleteMultiSync([key]);
  }

  delete(key: string): void {
    this.deleteSync(key);
  }

  deleteMultiSync(keys: readonly string[]): void {
    if (keys.length === 0) return;
    const hashes = keys.map(hashKey);
    this.exclusive(() => {
      for (let i = 0; i < keys.length; i++) this.table.remove(keys[i]!, hashes[i]!);
    });
    for (const key of keys) this.decoded.forget(key);
  }

  deleteMulti(keys: readonly string[]): void {
    this.deleteMultiSync(keys);
  }

  private prepare(key: string, value: StoredValue): PreparedWrite {
    if (typeof key !== 'string') throw new TypeError(`shared-memory backend: keys must be strings; got ${typeof key}.`);
    const { maxKeyBytes, maxValueBytes } = this.views.params;
    const narrow = isNarrowKey(key);
    const keyBytes = storedKeyBytes(key, narrow);
    if (keyBytes > maxKeyBytes) {
      throw new ValueTooLargeError(key, keyBytes, maxKeyBytes, 'that is the size of the key itself: shorten it with a key mangler such as sha1MangleKey, or raise maxKeyBytes of the shared-memory backend');
    }
    let bytes: Uint8Array;
    let createdAt: number;
    if (value instanceof Uint8Array) {
      bytes = value;
      createdAt = readCreatedAt(value);
      if (Number.isNaN(createdAt)) createdAt = Date.now();
    } else {
      bytes = this.codec.encode(value);
      createdAt = value.metadata.ct;
    }
    if (bytes.length > maxValueBytes) {
      throw new ValueTooLargeError(key, bytes.length, maxValueBytes, 'store a smaller value, or raise maxValueBytes (and maxBytes) of the shared-memory backend');
    }
    return { key, hash: hashKey(key), narrow, bytes, createdAt };
  }

  private write(writes: readonly PreparedWrite[]): void {
    const isExpired = this.expiredTest();
    const evictions = this.exclusive(() => {
      let evicted = 0;
      for (const { key, hash, narrow, bytes, createdAt } of writes) evicted += this.table.store(key, hash, narrow, bytes, createdAt, isExpired);
      return evicted;
    });
    for (const { key } of writes) this.decoded.forget(key);
    if (evictions > 0) this.report({ type: 'eviction', count: evictions });
  }

  /** Expired (by the region's expiration time) or hard-invalidated: evicted before anything else. */
  private expiredTest(): ExpiredTest {
    const now = Date.now();
    const expirationMs = this.expirationMs;
    const state = this.invalidationStore.read();
    const hardBefore = state !== undefined && state.hard ? state.at : Number.NEGATIVE_INFINITY;
    return (createdAt) => createdAt < hardBefore || now - createdAt > expirationMs;
  }

  private exclusive<T>(work: () => T): T {
    if (this.writeLock.acquire()) this.recover();
    try {
      return work();
    } finally {
      this.writeLock.release();
    }
  }

  /** The previous writer died inside the write lock: start from an empty table. */
  private recover(): void {
    this.table.reset();
    const header = this.views.header;
    if ((Atomics.load(header, Header.invalidationSeq) & 1) !== 0) Atomics.add(header, Header.invalidationSeq, 1);
    this.decoded.clear();
    this.report({
      type: 'backendError',
      operation: 'recover',
      error: new DogpileCacheError('shared-memory backend: a thread stopped while changing the shared table; the table was emptied to stay consistent.'),
    });
  }

  // Locks -------------------------------------------------------------------------------------

  /** The creation lock of `key`, shared by every thread over this table. */
  getMutex(key: string): SyncCacheMutex {
    return new SharedMemoryMutex(this.mutexOwner, key, hashKey(key));
  }

  // Lifecycle and diagnostics -----------------------------------------------------------------

  /**
   * Releases the creation locks this thread holds and drops its decoded copies. The shared
   * memory itself lives on as long as any thread still references the table.
   */
  close(): void {
    for (const mutex of [...this.mutexOwner.held]) mutex.release();
    this.decoded.clear();
  }

  inspect(): SharedMemoryInspection {
    const { header, params, sections, buffer } = this.views;
    return {
      liveEntries: Atomics.load(header, Header.liveEntries),
      maxEntries: params.maxEntries,
      arenaBytes: params.arenaBytes,
      arenaUsedBytes: Atomics.load(header, Header.arenaUsedBytes),
      sharedBytes: buffer.byteLength,
      indexBytesPerEntry: (sections.arena - sections.entries) / params.maxEntries,
      fixedBytes: sections.entries,
      recoveries: Atomics.load(header, Header.recoveries),
      decodedInThisThread: this.decoded.size,
    };
  }

  /** Checks the whole table (allocator, chains, counters) under the write lock; throws on damage. */
  verify(): { liveEntries: number; arenaUsedBytes: number } {
    return this.exclusive(() => this.table.verify());
  }

  private report(event: BackendEvent): void {
    if (this.sink !== undefined) {
      this.sink(event);
      return;
    }
    // Without a region listening, evictions still reach the shared counters.
    if (event.type === 'eviction') this.statsStore.increment('evictions', event.count);
  }
}
