// Every writer's statistics as one record in the environment's meta database; the threads of a
// process share one writer (their counters live in lmdb's per-process shared buffer).
import { PROCESS_COUNTERS_BYTES, ProcessCounters, RETIRED_WRITER, type StatsRecords } from '../local-store/index.js';
import { processSharedBuffer, type LmdbEnvironment } from './environment.js';

const PREFIX = 'stats:';
const COUNTERS_ID = 'dogpile:stats-counters';

export class LmdbStatsRecords implements StatsRecords {
  constructor(private readonly env: LmdbEnvironment) {}

  /** This process's counters, shared by all its threads that open the environment. */
  processCounters(): ProcessCounters {
    const buffer = processSharedBuffer(this.env.meta, COUNTERS_ID, PROCESS_COUNTERS_BYTES);
    return new ProcessCounters(buffer);
  }

  write(writer: string, record: Uint8Array): void {
    this.env.meta.putSync(PREFIX + writer, record);
  }

  readAll(): Iterable<readonly [string, Uint8Array]> {
    // A fresh read snapshot: lmdb-js keeps one per event turn, older than writes made since.
    this.env.root.resetReadTxn();
    // Copied: lmdb-js may hand out views of a buffer it reuses for the next record.
    return [...this.env.meta.getRange({ start: PREFIX, end: `${PREFIX}\uffff` })].map(({ key, value }) => [key.slice(PREFIX.length), Uint8Array.from(value)] as const);
  }

  retire(writers: readonly string[], merge: (retired: Uint8Array | undefined, records: readonly Uint8Array[]) => Uint8Array): void {
    // One write transaction: LMDB serialises it with every other process's.
    this.env.meta.transactionSync(() => {
      const records = writers.flatMap((writer) => {
        const record = this.env.meta.getBinary(PREFIX + writer);
        return record === undefined ? [] : [Uint8Array.from(record)];
      });
      if (records.length === 0) return;
      const retired = this.env.meta.getBinary(PREFIX + RETIRED_WRITER);
      this.env.meta.putSync(PREFIX + RETIRED_WRITER, merge(retired === undefined ? undefined : Uint8Array.from(retired), records));
      for (const writer of writers) this.env.meta.removeSync(PREFIX + writer);
    });
  }
}
