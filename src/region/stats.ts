import { STAT_NAMES, type CacheStats, type StatName, type StatsStore } from '../backends/api.js';

export function emptyStats(): CacheStats {
  return Object.fromEntries(STAT_NAMES.map((name) => [name, 0])) as CacheStats;
}

/** Counters kept in this thread, for backends that do not share their own. */
export class LocalStats implements StatsStore {
  private readonly counts = emptyStats();

  increment(name: StatName, by = 1): void {
    this.counts[name] += by;
  }

  snapshot(): CacheStats {
    return { ...this.counts };
  }
}
