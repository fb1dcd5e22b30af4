// Statistics shared by every process and thread over one on-host store. Each writer counts in
// memory and writes its running totals as one record at most every FLUSH_DELAY_MS; `snapshot()`
// adds up every writer's record. A count therefore reaches other processes within that delay once
// the writer's event loop turns.
//
// A writer is one backend instance (a thread of a process), or, where the threads of a process
// share memory for it (lmdb), the whole process: then a thread that ends leaves its counts in the
// process's record rather than a record of its own, so pools that replace worker threads all day
// do not add records all day. The records of processes that have exited are folded into one
// "retired" record by the next `snapshot()` that notices them, so restarts do not add up either.
//
// A writer that must not write from a timer (a worker thread that may be terminated while idle,
// see sweep-scheduler.ts) writes its totals with the first count after each delay instead; its
// last counts before it goes idle reach the store with its next count, `snapshot()` or `flush()`.
import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { STAT_NAMES, type CacheStats, type StatName, type StatsStore } from '../api.js';
import { isProcessAlive } from './process-liveness.js';

const FLUSH_DELAY_MS = 100;

/** The writer name under which the totals of exited processes are kept. */
export const RETIRED_WRITER = 'retired';

/** Where the writers' records live. */
export interface StatsRecords {
  /** Replaces this writer's record. */
  write(writer: string, record: Uint8Array): void;
  /** Every writer's name and record. */
  readAll(): Iterable<readonly [writer: string, record: Uint8Array]>;
  /**
   * Adds the records of `writers` to the retired record and removes them, so that no record is
   * ever counted twice or lost by two processes retiring at once.
   */
  retire(writers: readonly string[], merge: (retired: Uint8Array | undefined, records: readonly Uint8Array[]) => Uint8Array): void;
}

/** One writer's running totals and the name its record is written under. */
export interface StatsCounters {
  readonly writer: string;
  add(index: number, by: number): void;
  totals(): CacheStats;
}

function zeroStats(): CacheStats {
  return Object.fromEntries(STAT_NAMES.map((name) => [name, 0])) as CacheStats;
}

const STAT_INDEX = new Map<StatName, number>(STAT_NAMES.map((name, index) => [name, index]));

/** The counts of this backend instance alone: `<pid>.<thread>.<random>`. */
export class InstanceCounters implements StatsCounters {
  /** The random part: a restarted process with a reused pid never takes over old totals. */
  readonly writer = `${process.pid}.${threadId}.${randomBytes(4).toString('hex')}`;
  private readonly counts = new Array<number>(STAT_NAMES.length).fill(0);

  add(index: number, by: number): void {
    this.counts[index]! += by;
  }

  totals(): CacheStats {
    return Object.fromEntries(STAT_NAMES.map((name, index) => [name, this.counts[index]!])) as CacheStats;
  }
}

/** Bytes of a process-wide counter block: an 8-byte process id part, then one 64-bit count per stat. */
export const PROCESS_COUNTERS_BYTES = 8 + 8 * STAT_NAMES.length;

/**
 * The counts of every thread of this process, in memory those threads share (zero-filled when
 * first created): `<pid>.p<random>`, the random part drawn by the first thread to use it.
 */
export class ProcessCounters implements StatsCounters {
  readonly writer: string;
  private readonly counts: BigInt64Array;

  constructor(buffer: ArrayBuffer) {
    if (buffer.byteLength < PROCESS_COUNTERS_BYTES) throw new RangeError(`Process stats counters need ${PROCESS_COUNTERS_BYTES} bytes; got ${buffer.byteLength}.`);
    const id = new Int32Array(buffer, 0, 2);
    Atomics.compareExchange(id, 0, 0, randomBytes(4).readInt32LE(0) | 1);
    this.writer = `${process.pid}.p${(Atomics.load(id, 0) >>> 0).toString(16)}`;
    this.counts = new BigInt64Array(buffer, 8, STAT_NAMES.length);
  }

  add(index: number, by: number): void {
    Atomics.add(this.counts, index, BigInt(by));
  }

  totals(): CacheStats {
    return Object.fromEntries(STAT_NAMES.map((name, index) => [name, Number(Atomics.load(this.counts, index))])) as CacheStats;
  }
}

/** The record of one writer: its totals as JSON, read back defensively (another program may write there). */
export function encodeStatsRecord(stats: CacheStats): Uint8Array {
  return Buffer.from(JSON.stringify(stats));
}

export function decodeStatsRecord(bytes: Uint8Array): Partial<CacheStats> {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
    if (parsed === null || typeof parsed !== 'object') return {};
    const record: Partial<CacheStats> = {};
    for (const name of STAT_NAMES) {
      const value = (parsed as Record<string, unknown>)[name];
      if (typeof value === 'number' && Number.isFinite(value) && value >= 0) record[name] = value;
    }
    return record;
  } catch {
    return {};
  }
}

/** Adds the counts of a record (untrusted bytes) to `sum`. */
function addRecord(sum: CacheStats, bytes: Uint8Array): void {
  const record = decodeStatsRecord(bytes);
  for (const name of STAT_NAMES) sum[name] += record[name] ?? 0;
}

/** The retired record plus the records being retired, as one record. */
export function mergeStatsRecords(retired: Uint8Array | undefined, records: readonly Uint8Array[]): Uint8Array {
  const sum = zeroStats();
  for (const bytes of retired === undefined ? records : [retired, ...records]) addRecord(sum, bytes);
  return encodeStatsRecord(sum);
}

/** The pid a writer name starts with, or undefined for names this library did not make. */
function writerPid(writer: string): number | undefined {
  const match = /^(\d+)\./.exec(writer);
  return match === null ? undefined : Number(match[1]);
}

export interface SharedStatsOptions {
  /** Whether pending counts are written by a timer, or by the first count after the delay. Default: true. */
  readonly flushOnTimer?: boolean;
  /** Whether records of exited processes (by pid) are folded into the retired record. Default: true. */
  readonly retireExited?: boolean;
  /** The counters to write; default: this instance's own. */
  readonly counters?: StatsCounters;
}

export class SharedStats implements StatsStore {
  private readonly counters: StatsCounters;
  private readonly flushOnTimer: boolean;
  private readonly retireExited: boolean;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private lastFlush = 0;

  constructor(
    private readonly records: StatsRecords,
    private readonly onError: (error: unknown) => void,
    options: SharedStatsOptions = {},
  ) {
    this.counters = options.counters ?? new InstanceCounters();
    this.flushOnTimer = options.flushOnTimer ?? true;
    this.retireExited = options.retireExited ?? true;
  }

  increment(name: StatName, by = 1): void {
    this.counters.add(STAT_INDEX.get(name)!, by);
    if (!this.flushOnTimer) {
      this.dirty = true;
      if (Date.now() - this.lastFlush >= FLUSH_DELAY_MS) this.flush();
      return;
    }
    if (this.dirty) return;
    this.dirty = true;
    this.timer = setTimeout(() => this.flush(), FLUSH_DELAY_MS);
    this.timer.unref();
  }

  snapshot(): CacheStats {
    this.flush();
    const sum = zeroStats();
    const exited: string[] = [];
    let readAny = false;
    try {
      for (const [writer, bytes] of this.records.readAll()) {
        addRecord(sum, bytes);
        readAny = true;
        const pid = writerPid(writer);
        if (this.retireExited && pid !== undefined && !isProcessAlive(pid)) exited.push(writer);
      }
    } catch (error) {
      this.onError(error);
    }
    if (exited.length > 0) {
      try {
        this.records.retire(exited, mergeStatsRecords);
      } catch (error) {
        this.onError(error);
      }
    }
    // A store that cannot be read still reports this writer's own counts.
    return readAny ? sum : this.counters.totals();
  }

  /** Writes this writer's totals now, if they changed. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty) return;
    this.dirty = false;
    this.lastFlush = Date.now();
    try {
      this.records.write(this.counters.writer, encodeStatsRecord(this.counters.totals()));
    } catch (error) {
      this.onError(error);
    }
  }
}
