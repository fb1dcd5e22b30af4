import { STAT_NAMES, type CacheStats, type StatName, type StatsStore } from '../backends/api.js';

export function emptyStats(): CacheStats {
  return Object.fromEntries(STAT_NAMES.map((name) => [name, 0])) as CacheStats;
}

/** Counters kept in this thread, for backends that do not share their own. */
export class LocalStats implements StatsStore {
  private readonly counts = emptyStats();
  // Hits are counted on every cache hit: a plain field, not a keyed property.
  private hits = 0;

  increment(name: StatName, by = 1): void {
    if (name === 'hits') this.hits += by;
    else this.counts[name] += by;
  }

  snapshot(): CacheStats {
    return { ...this.counts, hits: this.hits };
  }
}

const MAX_PENDING_HITS = 1024;

/**
 * Counts hits in this thread and adds them to a shared store at the end of the current
 * synchronous stretch (or every 1,024 hits), so a hit does not pay for an atomic add on shared
 * memory. Everything else goes straight through. Another thread's `stats()` therefore sees this
 * thread's hits once its current stretch of synchronous code has finished; `snapshot()` here
 * sees them at once.
 */
export class BatchedHitStats implements StatsStore {
  private pendingHits = 0;
  /** Adds the hits counted so far to the shared store. */
  readonly flush = (): void => {
    const hits = this.pendingHits;
    this.pendingHits = 0;
    if (hits > 0) this.shared.increment('hits', hits);
  };

  constructor(private readonly shared: StatsStore) {}

  increment(name: StatName, by = 1): void {
    if (name !== 'hits') {
      this.shared.increment(name, by);
      return;
    }
    if (this.pendingHits === 0) queueMicrotask(this.flush);
    this.pendingHits += by;
    if (this.pendingHits >= MAX_PENDING_HITS) this.flush();
  }

  snapshot(): CacheStats {
    this.flush();
    return this.shared.snapshot();
  }
}
