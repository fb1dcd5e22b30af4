// The `lmdb` backend: one LMDB environment at `arguments.path`, shared by every process and thread
// that opens it. Values are the region's envelope bytes; the creation lock is a record in the
// environment (see lock-store.ts) with one thread per process polling it (thread-gate.ts); the
// invalidation state lives in the environment too; sweeps keep the store within its bounds.
import { isMainThread } from 'node:worker_threads';
import type {
  BackendArguments,
  BackendEvent,
  BackendEventSink,
  CacheBackend,
  InvalidationStore,
  RegionOptionsForBackend,
  StoredValue,
} from '../api.js';
import { BackendUnavailableError } from '../../errors.js';
import { NO_VALUE, type NoValue } from '../../values.js';
import { ProcessLocks, ProcessMutex, SharedStats, SweepScheduler, effectiveMaxAge, entryBytesWithin, isPastMaxAge, type SweepReason } from '../local-store/index.js';
import { openEnvironment, storedKey, type LmdbEnvironment } from './environment.js';
import { LmdbInvalidationStore } from './invalidation-store.js';
import { LmdbStatsRecords } from './stats-records.js';
import { LmdbLockStore } from './lock-store.js';
import { resolveLmdbOptions, type LmdbBackendOptions, type LmdbSettings } from './options.js';
import { LmdbSweeper } from './sweep.js';
import { openThreadGate } from './thread-gate.js';

/** Most writes between two size checks; fewer for small `maxEntries` so the bound holds closely. */
const MAX_WRITES_PER_CHECK = 64;

export class LmdbBackend implements CacheBackend {
  readonly serialized = true;
  readonly invalidationStore: InvalidationStore;
  readonly statsStore: SharedStats;
  readonly settings: LmdbSettings;

  private readonly env: LmdbEnvironment;
  private readonly locks: ProcessLocks;
  private readonly sweeper: LmdbSweeper;
  private readonly scheduler: SweepScheduler;
  private readonly handle: Readonly<Record<string, unknown>>;
  private maxAgeMs: number;
  private sink: BackendEventSink = () => {};
  private closed = false;

  constructor(args: BackendArguments) {
    this.settings = resolveLmdbOptions(args);
    this.handle = { ...args };
    this.env = openEnvironment(this.settings);
    this.maxAgeMs = effectiveMaxAge(this.settings, undefined);
    this.locks = new ProcessLocks(
      new LmdbLockStore(this.env.locks),
      { leaseMs: this.settings.lockLeaseMs, pollMaxMs: this.settings.lockPollMs, checkOwnerAlive: this.settings.checkOwnerAlive },
      openThreadGate(this.env.locks),
    );
    this.locks.setReporter((event) => this.report(event));
    const invalidation = new LmdbInvalidationStore(this.env.meta);
    this.invalidationStore = invalidation;
    // lmdb aborts the process when a thread is terminated inside a write, and pools terminate idle
    // workers: a worker thread writes only while it is working, never from a timer.
    const writesFromTimers = isMainThread;
    const statsRecords = new LmdbStatsRecords(this.env);
    this.statsStore = new SharedStats(statsRecords, (error) => this.report({ type: 'backendError', operation: 'stats', error }), {
      flushOnTimer: writesFromTimers,
      retireExited: this.settings.checkOwnerAlive,
      counters: statsRecords.processCounters(),
    });
    // The region reads again right after taking a lock: it must see what the previous holder
    // committed, even within the event turn whose read snapshot predates that commit.
    this.locks.onAcquired = () => {
      this.env.root.resetReadTxn();
      invalidation.refresh();
    };
    this.sweeper = new LmdbSweeper(
      this.env.values,
      this.locks,
      () => ({ maxEntries: this.settings.maxEntries, maxBytes: this.settings.maxBytes, maxAgeMs: this.maxAgeMs }),
      (event) => this.report(event),
    );
    const checkEveryWrites = Math.max(1, Math.min(MAX_WRITES_PER_CHECK, Math.floor(this.settings.maxEntries / 10)));
    this.scheduler = new SweepScheduler((reason) => this.runSweep(reason), {
      intervalMs: this.settings.sweepIntervalMs,
      checkEveryWrites,
      onTimer: writesFromTimers,
    });
  }

  /** Builds a backend over the same environment in another thread, from `share()`'s handle. */
  static attach(handle: unknown): LmdbBackend {
    return new LmdbBackend(handle as BackendArguments);
  }

  share(): Readonly<Record<string, unknown>> {
    return { ...this.handle };
  }

  useRegionOptions(options: RegionOptionsForBackend): void {
    this.maxAgeMs = effectiveMaxAge(this.settings, options.expirationTimeMs);
    if (Number.isFinite(options.lockTimeoutMs)) this.locks.defaultWaitMs = options.lockTimeoutMs;
  }

  setEventSink(sink: BackendEventSink): void {
    this.sink = sink;
  }

  /** The `maxAge` in effect, in ms (`Infinity`: entries never expire at the backend). */
  get effectiveMaxAgeMs(): number {
    return this.maxAgeMs;
  }

  getSync(key: string): StoredValue | NoValue {
    this.checkOpen();
    // getBinary copies out of the map: the region may hold the bytes past the next read.
    const bytes = this.env.values.getBinary(storedKey(key));
    if (bytes === undefined) return NO_VALUE;
    if (isPastMaxAge(bytes, this.maxAgeMs)) return NO_VALUE;
    return bytes;
  }

  get(key: string): StoredValue | NoValue {
    return this.getSync(key);
  }

  getMultiSync(keys: readonly string[]): Array<StoredValue | NoValue> {
    return keys.map((key) => this.getSync(key));
  }

  getMulti(keys: readonly string[]): Array<StoredValue | NoValue> {
    return this.getMultiSync(keys);
  }

  setSync(key: string, value: StoredValue): void {
    const bytes = this.bytesFor(key, value);
    this.env.values.putSync(storedKey(key), bytes);
    this.scheduler.noteWrites(1);
  }

  /** Resolves once the write is committed, and so visible to every process. */
  async set(key: string, value: StoredValue): Promise<void> {
    const bytes = this.bytesFor(key, value);
    await this.env.values.put(storedKey(key), bytes);
    this.scheduler.noteWrites(1);
  }

  setMultiSync(entries: ReadonlyArray<readonly [string, StoredValue]>): void {
    if (entries.length === 0) return;
    const prepared = entries.map(([key, value]) => [storedKey(key), this.bytesFor(key, value)] as const);
    this.env.values.transactionSync(() => {
      for (const [key, bytes] of prepared) this.env.values.putSync(key, bytes);
    });
    this.scheduler.noteWrites(entries.length);
  }

  /** One transaction: the puts of one event turn are committed together. */
  async setMulti(entries: ReadonlyArray<readonly [string, StoredValue]>): Promise<void> {
    if (entries.length === 0) return;
    const prepared = entries.map(([key, value]) => [storedKey(key), this.bytesFor(key, value)] as const);
    await Promise.all(prepared.map(([key, bytes]) => this.env.values.put(key, bytes)));
    this.scheduler.noteWrites(entries.length);
  }

  deleteSync(key: string): void {
    this.checkOpen();
    this.env.values.removeSync(storedKey(key));
  }

  async delete(key: string): Promise<void> {
    this.checkOpen();
    await this.env.values.remove(storedKey(key));
  }

  deleteMultiSync(keys: readonly string[]): void {
    this.checkOpen();
    if (keys.length === 0) return;
    this.env.values.transactionSync(() => {
      for (const key of keys) this.env.values.removeSync(storedKey(key));
    });
  }

  async deleteMulti(keys: readonly string[]): Promise<void> {
    this.checkOpen();
    await Promise.all(keys.map((key) => this.env.values.remove(storedKey(key))));
  }

  /**
   * The creation lock for `key`, shared by every process and thread over this path. Each call
   * gives a new handle; a handle is one potential holder.
   */
  getMutex(key: string): ProcessMutex {
    this.checkOpen();
    return this.locks.mutex(storedKey(key));
  }

  /**
   * Sweeps now: removes expired entries (and bytes that are not entries), then the oldest ones
   * while over a bound. Returns how many were removed; 0 when another process is sweeping.
   */
  sweep(): number {
    this.checkOpen();
    return this.sweeper.sweep();
  }

  /** Releases held locks, stops the sweep timer and closes this handle on the environment. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.statsStore.flush();
    this.scheduler.stop();
    this.locks.close();
    await this.env.root.close();
  }

  private bytesFor(key: string, value: StoredValue): Uint8Array {
    this.checkOpen();
    return entryBytesWithin('lmdb', key, value, this.settings.maxBytes);
  }

  private runSweep(reason: SweepReason): void {
    if (this.closed) return;
    try {
      this.sweeper.check(reason);
    } catch (error) {
      this.report({ type: 'backendError', operation: 'sweep', error });
    }
  }

  private report(event: BackendEvent): void {
    this.sink(event);
  }

  private checkOpen(): void {
    if (this.closed) throw new BackendUnavailableError(`lmdb backend at ${JSON.stringify(this.settings.path)} is closed; configure a new region to use it again.`);
  }
}

export type { LmdbBackendOptions };
