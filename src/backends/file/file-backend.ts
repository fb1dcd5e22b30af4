// The `file` backend: one file per entry under `arguments.directory`, shared by every process and
// thread that uses the directory, with no native addon. Writes are atomic (temp file + rename), so
// a reader sees an old entry or a new one, never a half-written one. The creation lock is an
// O_EXCL lock file per key (lock-store.ts); the invalidation state is a small file; sweeps keep
// the directory within its bounds. The analogue of dogpile.cache's dbm backend and its lock files.
import { unlinkSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
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
import { writeAtomic, writeAtomicSync } from './atomic-write.js';
import { readEntrySync } from './entry-read.js';
import { FileInvalidationStore } from './invalidation-store.js';
import { FileStatsRecords, STATS_LOCK_KEY } from './stats-records.js';
import { FileLayout } from './layout.js';
import { FileLockStore } from './lock-store.js';
import { resolveFileOptions, type FileBackendOptions, type FileSettings } from './options.js';
import { FileSweeper } from './sweep.js';

/** Region keys are prefixed so no key can name the sweep lock (see sweep.ts). */
function userLockKey(key: string): string {
  return `k:${key}`;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}

export class FileBackend implements CacheBackend {
  readonly serialized = true;
  readonly invalidationStore: InvalidationStore;
  readonly statsStore: SharedStats;
  readonly settings: FileSettings;

  private readonly layout: FileLayout;
  private readonly locks: ProcessLocks;
  private readonly sweeper: FileSweeper;
  private readonly scheduler: SweepScheduler;
  private readonly handle: Readonly<Record<string, unknown>>;
  private maxAgeMs: number;
  private sink: BackendEventSink = () => {};
  private closed = false;

  constructor(args: BackendArguments) {
    this.settings = resolveFileOptions(args);
    this.handle = { ...args };
    this.layout = new FileLayout(this.settings.directory);
    try {
      this.layout.create();
    } catch (error) {
      throw new BackendUnavailableError(
        `file backend: cannot create the cache directory ${JSON.stringify(this.layout.root)}: ${(error as Error).message}. ` +
          `Check that it can be created and written by this process.`,
        { cause: error },
      );
    }
    this.maxAgeMs = effectiveMaxAge(this.settings, undefined);
    const policy = { checkOwnerAlive: this.settings.checkOwnerAlive };
    const lockStore = new FileLockStore(this.layout, this.settings.lockLeaseMs, policy);
    this.locks = new ProcessLocks(lockStore, { leaseMs: this.settings.lockLeaseMs, pollMaxMs: this.settings.lockPollMs, ...policy });
    this.locks.setReporter((event) => this.report(event));
    const invalidation = new FileInvalidationStore(this.layout);
    this.invalidationStore = invalidation;
    this.statsStore = new SharedStats(
      new FileStatsRecords(this.layout, () => this.locks.mutex(STATS_LOCK_KEY)),
      (error) => this.report({ type: 'backendError', operation: 'stats', error }),
      { retireExited: this.settings.checkOwnerAlive },
    );
    // The region reads again right after taking a lock: look at the invalidation file afresh.
    this.locks.onAcquired = () => invalidation.refresh();
    this.sweeper = new FileSweeper(
      this.layout,
      this.locks,
      lockStore,
      policy,
      () => ({ maxEntries: this.settings.maxEntries, maxBytes: this.settings.maxBytes, maxAgeMs: this.maxAgeMs }),
      (event) => this.report(event),
    );
    // The check after each write is arithmetic on an estimate; a scan only runs past a bound.
    this.scheduler = new SweepScheduler((reason) => this.runSweep(reason), { intervalMs: this.settings.sweepIntervalMs, checkEveryWrites: 1, onTimer: true });
  }

  /** Builds a backend over the same directory in another thread, from `share()`'s handle. */
  static attach(handle: unknown): FileBackend {
    return new FileBackend(handle as BackendArguments);
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

  /** The directory in use, resolved to an absolute path. */
  get directory(): string {
    return this.layout.root;
  }

  getSync(key: string): StoredValue | NoValue {
    this.checkOpen();
    const bytes = readEntrySync(this.layout.entryPath(key));
    return bytes === undefined ? NO_VALUE : this.unlessTooOld(bytes);
  }

  async get(key: string): Promise<StoredValue | NoValue> {
    this.checkOpen();
    let bytes: Buffer;
    try {
      bytes = await readFile(this.layout.entryPath(key));
    } catch (error) {
      if (isMissing(error)) return NO_VALUE;
      throw error;
    }
    return this.unlessTooOld(bytes);
  }

  getMultiSync(keys: readonly string[]): Array<StoredValue | NoValue> {
    return keys.map((key) => this.getSync(key));
  }

  getMulti(keys: readonly string[]): Promise<Array<StoredValue | NoValue>> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  setSync(key: string, value: StoredValue): void {
    const bytes = this.bytesFor(key, value);
    writeAtomicSync(this.layout, this.layout.entryPath(key), bytes);
    this.wrote(bytes.length);
  }

  async set(key: string, value: StoredValue): Promise<void> {
    const bytes = this.bytesFor(key, value);
    await writeAtomic(this.layout, this.layout.entryPath(key), bytes);
    this.wrote(bytes.length);
  }

  /** Each entry is written atomically on its own; the set as a whole is not one transaction. */
  setMultiSync(entries: ReadonlyArray<readonly [string, StoredValue]>): void {
    for (const [key, value] of entries) this.setSync(key, value);
  }

  async setMulti(entries: ReadonlyArray<readonly [string, StoredValue]>): Promise<void> {
    await Promise.all(entries.map(([key, value]) => this.set(key, value)));
  }

  deleteSync(key: string): void {
    this.checkOpen();
    try {
      unlinkSync(this.layout.entryPath(key));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  async delete(key: string): Promise<void> {
    this.checkOpen();
    try {
      await unlink(this.layout.entryPath(key));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  deleteMultiSync(keys: readonly string[]): void {
    for (const key of keys) this.deleteSync(key);
  }

  async deleteMulti(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.delete(key)));
  }

  /**
   * The creation lock for `key`, shared by every process and thread over this directory. Each
   * call gives a new handle; a handle is one potential holder.
   */
  getMutex(key: string): ProcessMutex {
    this.checkOpen();
    return this.locks.mutex(userLockKey(key));
  }

  /**
   * Sweeps now: removes expired entries, then the oldest while over a bound, plus temp files of
   * crashed writers and lock files nobody holds. Returns how many entries were removed; 0 when
   * another process is sweeping.
   */
  sweep(): number {
    this.checkOpen();
    return this.sweeper.sweep();
  }

  /** Releases held locks and stops the sweep timer; the backend keeps no file open between calls. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.statsStore.flush();
    this.scheduler.stop();
    this.locks.close();
  }

  private unlessTooOld(bytes: Buffer): StoredValue | NoValue {
    // Bytes that are not an entry (NaN) go to the region, which reports them.
    if (isPastMaxAge(bytes, this.maxAgeMs)) return NO_VALUE;
    return bytes;
  }

  private bytesFor(key: string, value: StoredValue): Uint8Array {
    this.checkOpen();
    return entryBytesWithin('file', key, value, this.settings.maxBytes);
  }

  private wrote(bytes: number): void {
    this.sweeper.noteWrite(bytes);
    this.scheduler.noteWrites(1);
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
    if (this.closed) throw new BackendUnavailableError(`file backend at ${JSON.stringify(this.layout.root)} is closed; configure a new region to use it again.`);
  }
}

export type { FileBackendOptions };
