import { STAT_NAMES, type CacheStats, type StatName, type StatsStore } from '../api.js';
import { STATS_HIGH_OFFSET, STATS_LANE_WORDS, STATS_LANES } from './layout.js';

const STAT_INDEX: Readonly<Record<string, number>> = Object.fromEntries(STAT_NAMES.map((name, index) => [name, index]));
const TWO_32 = 2 ** 32;

/**
 * Statistics counters in the shared header, so `stats()` in any thread sums every thread.
 *
 * Each thread counts in its own lane (chosen by thread id, 64 lanes of 128 bytes), so hot
 * counters like `hits` do not bounce one cache line between cores; `snapshot` adds the lanes up.
 * A counter is a 64-bit value kept as two 32-bit words: the low word is bumped atomically and its
 * overflow carried into the high word, which is exact except for the instant between the two adds.
 */
export class SharedStatsStore implements StatsStore {
  private readonly lane: number;

  constructor(
    private readonly words: Uint32Array,
    threadId: number,
  ) {
    this.lane = (threadId % STATS_LANES) * STATS_LANE_WORDS;
  }

  increment(name: StatName, by = 1): void {
    const index = STAT_INDEX[name];
    if (index === undefined || !(by > 0)) return;
    if (by === 1) {
      // The hot path (one hit): one atomic add, and a carry only when the low word wraps.
      const at = this.lane + index;
      if (Atomics.add(this.words, at, 1) === 0xffffffff) Atomics.add(this.words, at + STATS_HIGH_OFFSET, 1);
      return;
    }
    const amount = Math.floor(by);
    const low = amount % TWO_32;
    let high = Math.floor(amount / TWO_32);
    const at = this.lane + index;
    const before = Atomics.add(this.words, at, low);
    if (before + low >= TWO_32) high++;
    if (high > 0) Atomics.add(this.words, at + STATS_HIGH_OFFSET, high);
  }

  snapshot(): CacheStats {
    const totals = {} as CacheStats;
    STAT_NAMES.forEach((name, index) => {
      let total = 0;
      for (let lane = 0; lane < STATS_LANES; lane++) {
        const at = lane * STATS_LANE_WORDS + index;
        total += Atomics.load(this.words, at + STATS_HIGH_OFFSET) * TWO_32 + Atomics.load(this.words, at);
      }
      totals[name] = total;
    });
    return totals;
  }
}
