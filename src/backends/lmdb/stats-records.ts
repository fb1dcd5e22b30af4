// Every writer's statistics as one record in the environment's meta database.
import type { StatsRecords } from '../local-store/index.js';
import type { LmdbEnvironment } from './environment.js';

const PREFIX = 'stats:';

export class LmdbStatsRecords implements StatsRecords {
  constructor(private readonly env: LmdbEnvironment) {}

  write(writer: string, record: Uint8Array): void {
    this.env.meta.putSync(PREFIX + writer, record);
  }

  readAll(): Iterable<Uint8Array> {
    // A fresh read snapshot: lmdb-js keeps one per event turn, older than writes made since.
    this.env.root.resetReadTxn();
    // Copied: lmdb-js may hand out views of a buffer it reuses for the next record.
    return [...this.env.meta.getRange({ start: PREFIX, end: `${PREFIX}\uffff` })].map(({ value }) => Uint8Array.from(value));
  }
}
