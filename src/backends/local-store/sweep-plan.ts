// Which entries a sweep removes: first every expired entry (and every stored value that is not an
// entry at all), then, only when the store is still over a bound, the oldest entries until it is
// down to 90 % of each bound, so a full store is not swept again on the very next write.

/** What a sweep knows about one stored entry, read from its envelope header or file metadata. */
export interface SweepCandidate<K> {
  readonly key: K;
  /** Creation time, epoch ms; `NaN` for bytes that are not an entry. */
  readonly createdAt: number;
  /** Bytes the entry takes (key + value + store overhead), to estimate what removing it frees. */
  readonly bytes: number;
}

export interface SweepBounds {
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Entries created before `now - maxAgeMs` are expired; `Infinity` for never. */
  readonly maxAgeMs: number;
}

export interface SweepPlan<K> {
  readonly expired: K[];
  /** Fresh entries removed to get under the bounds, oldest first. */
  readonly evicted: K[];
}

/** Fraction of a bound left after a sweep that had to evict. */
export const SWEEP_LOW_WATER = 0.9;

export function isOverBounds(entries: number, bytes: number, bounds: SweepBounds): boolean {
  return entries > bounds.maxEntries || bytes > bounds.maxBytes;
}

/**
 * `storedBytes` is the store's own measure of its size (it may include overhead the candidates'
 * `bytes` do not); removing a candidate is assumed to free its `bytes`.
 */
export function planSweep<K>(candidates: ReadonlyArray<SweepCandidate<K>>, storedBytes: number, bounds: SweepBounds, nowMs: number): SweepPlan<K> {
  const expiredBefore = nowMs - bounds.maxAgeMs;
  const expired: K[] = [];
  const live: Array<SweepCandidate<K>> = [];
  let bytes = storedBytes;
  for (const candidate of candidates) {
    if (!(candidate.createdAt >= expiredBefore)) {
      expired.push(candidate.key);
      bytes -= candidate.bytes;
    } else {
      live.push(candidate);
    }
  }
  const evicted: K[] = [];
  if (!isOverBounds(live.length, bytes, bounds)) return { expired, evicted };

  const targetEntries = Math.floor(bounds.maxEntries * SWEEP_LOW_WATER);
  const targetBytes = bounds.maxBytes * SWEEP_LOW_WATER;
  live.sort((a, b) => a.createdAt - b.createdAt);
  let count = live.length;
  for (const candidate of live) {
    if (count <= targetEntries && bytes <= targetBytes) break;
    evicted.push(candidate.key);
    count--;
    bytes -= candidate.bytes;
  }
  return { expired, evicted };
}
