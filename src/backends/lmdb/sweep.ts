// Keeps the values database within `maxEntries` / `maxBytes` and removes entries older than
// `maxAge`. The size check is cheap (LMDB's own page and entry counts), so writes trigger it
// often; the sweep itself scans every key, reading only the 12-byte envelope header of each value
// for its creation time, and runs in one process at a time (the sweep lock). Removals are made in
// small write transactions and only touch an entry whose header still shows the creation time the
// scan saw, so an entry rewritten in the meantime by another process survives.
import type { BackendEvent } from '../api.js';
import { readCreatedAt } from '../../serialization/index.js';
import { isOverBounds, planSweep, type ProcessLocks, type SweepBounds, type SweepCandidate, type SweepReason } from '../local-store/index.js';
import { SWEEP_LOCK_KEY, type BinaryDatabase } from './environment.js';

/** Entries removed per write transaction, so other writers never wait long. */
const REMOVALS_PER_TRANSACTION = 256;
/** B-tree bookkeeping per entry, for estimating what removing one frees. */
const ENTRY_OVERHEAD_BYTES = 16;

interface PageStats {
  pageSize: number;
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
  entryCount: number;
}

/** Entries and the bytes of the pages they occupy. */
export function measure(values: BinaryDatabase): { entries: number; bytes: number } {
  const stats = values.getStats() as PageStats;
  return {
    entries: stats.entryCount,
    bytes: (stats.treeBranchPageCount + stats.treeLeafPageCount + stats.overflowPages) * stats.pageSize,
  };
}

export class LmdbSweeper {
  constructor(
    private readonly values: BinaryDatabase,
    private readonly locks: ProcessLocks,
    private readonly bounds: () => SweepBounds,
    private readonly report: (event: BackendEvent) => void,
  ) {}

  /**
   * After writes: sweep only when over a bound. Periodically: also when entries can expire.
   * Returns the number of entries removed.
   */
  check(reason: SweepReason): number {
    const bounds = this.bounds();
    const size = measure(this.values);
    const over = isOverBounds(size.entries, size.bytes, bounds);
    if (!over && (reason === 'writes' || !Number.isFinite(bounds.maxAgeMs))) return 0;
    return this.sweep(size.bytes, bounds);
  }

  /** Scans and removes; does nothing when another process is sweeping right now. */
  sweep(storedBytes = measure(this.values).bytes, bounds = this.bounds()): number {
    const mutex = this.locks.mutex(SWEEP_LOCK_KEY);
    if (!mutex.acquireSync(false)) return 0;
    try {
      const plan = planSweep(this.scan(), storedBytes, bounds, Date.now());
      const removed = this.remove(plan.expired) + this.remove(plan.evicted);
      if (removed > 0) this.report({ type: 'eviction', count: removed });
      return removed;
    } finally {
      mutex.releaseSync();
    }
  }

  private scan(): Array<SweepCandidate<{ key: string; createdAt: number }>> {
    const candidates: Array<SweepCandidate<{ key: string; createdAt: number }>> = [];
    this.values.resetReadTxn();
    for (const key of this.values.getKeys({ snapshot: true })) {
      const bytes = this.values.getBinaryFast(key);
      if (bytes === undefined) continue;
      const createdAt = readCreatedAt(bytes);
      candidates.push({ key: { key, createdAt }, createdAt, bytes: bytes.length + key.length + ENTRY_OVERHEAD_BYTES });
    }
    return candidates;
  }

  private remove(entries: ReadonlyArray<{ key: string; createdAt: number }>): number {
    let removed = 0;
    for (let start = 0; start < entries.length; start += REMOVALS_PER_TRANSACTION) {
      const chunk = entries.slice(start, start + REMOVALS_PER_TRANSACTION);
      removed += this.values.transactionSync(() => {
        let count = 0;
        for (const { key, createdAt } of chunk) {
          const bytes = this.values.getBinaryFast(key);
          if (bytes === undefined) continue;
          const now = readCreatedAt(bytes);
          // NaN (not an entry) matches NaN: both are removed as unreadable.
          if (now === createdAt || (Number.isNaN(now) && Number.isNaN(createdAt))) {
            this.values.removeSync(key);
            count++;
          }
        }
        return count;
      });
    }
    return removed;
  }
}
