// Statistics shared by every process and thread over one on-host store. Each writer (one backend
// instance: a thread of a process) counts in memory and writes its running totals as one record
// at most every FLUSH_DELAY_MS; `snapshot()` adds up every writer's record. A count therefore
// reaches other processes within that delay once the writer's event loop turns.
//
// A writer that must not write from a timer (a worker thread that may be terminated while idle,
// see sweep-scheduler.ts) writes its totals with the first count after each delay instead; its
// last counts before it goes idle reach the store with its next count, `snapshot()` or `flush()`.
import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { STAT_NAMES, type CacheStats, type StatName, type StatsStore } from '../api.js';

const FLUSH_DELAY_MS = 100;

/** Where the writers' records live. */
export interface StatsRecords {
  /** Replaces this writer's record. */
  write(writer: string, record: Uint8Array): void;
  /** Every writer's record. */
  readAll(): Iterable<Uint8Array>;
}

function zeroStats(): CacheStats {
  return Object.fromEntries(STAT_NAMES.map((name) => [name, 0])) as CacheStats;
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

export class SharedStats implements StatsStore {
  /** This writer: process, thread and a random part, so a restarted process never takes over old totals. */
  private readonly writer = `${process.pid}.${threadId}.${randomBytes(4).toString('hex')}`;
  private readonly totals = zeroStats();
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;

  private lastFlush = 0;

  constructor(
    private readonly records: StatsRecords,
    private readonly onError: (error: unknown) => void,
    /** Whether pending counts are written by a timer, or by the first count after the delay. */
    private readonly flushOnTimer = true,
  ) {}

  increment(name: StatName, by = 1): void {
    this.totals[name] += by;
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
    let readAny = false;
    try {
      for (const bytes of this.records.readAll()) {
        const record = decodeStatsRecord(bytes);
        for (const name of STAT_NAMES) sum[name] += record[name] ?? 0;
        readAny = true;
      }
    } catch (error) {
      this.onError(error);
    }
    // A store that cannot be read still reports this writer's own counts.
    return readAny ? sum : { ...this.totals };
  }

  /** Writes this writer's totals now, if they changed. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty) return;
    this.dirty = false;
    this.lastFlush = Date.now();
    try {
      this.records.write(this.writer, encodeStatsRecord(this.totals));
    } catch (error) {
      this.onError(error);
    }
  }
}
