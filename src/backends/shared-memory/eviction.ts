import { ENTRY_WORDS, Entry, Header, KEY_LIVE, type TableViews } from './layout.js';

/** Tells whether a value created at `createdAt` (epoch ms) is expired or hard-invalidated. */
export type ExpiredTest = (createdAt: number) => boolean;

/**
 * After the first unreferenced candidate, the hand looks at this many more live entries for an
 * expired one before settling on the candidate, so expired entries go first without a full scan.
 */
const LOOKAHEAD = 8;

/**
 * Picks the entry to evict with CLOCK (second chance): the hand sweeps the records; an entry read
 * since the hand last passed has its reference bit cleared and is skipped once; the first entry
 * without the bit is the candidate. An expired or hard-invalidated entry met on the way is taken
 * at once. Runs under the write lock. Returns `-1` only when the table holds no live entry.
 *
 * Readers set reference bits concurrently; if they keep every bit set through two sweeps, the
 * first live entry the hand met is taken, so the choice is always bounded.
 */
export function chooseVictim(views: TableViews, isExpired: ExpiredTest): number {
  const { header, entries, entriesF64, refs } = views;
  const highWater = header[Header.entryHighWater]!;
  if (highWater === 0 || header[Header.liveEntries] === 0) return -1;
  let hand = header[Header.clockHand]! % highWater;
  let firstLive = -1;
  let candidate = -1;
  let handAfterCandidate = 0;
  let liveSinceCandidate = 0;
  for (let step = 0, limit = 2 * highWater + LOOKAHEAD; step < limit; step++) {
    const entry = hand;
    hand = hand + 1 === highWater ? 0 : hand + 1;
    if ((entries[entry * ENTRY_WORDS + Entry.key]! & KEY_LIVE) === 0) continue;
    if (firstLive < 0) firstLive = entry;
    if (isExpired(entriesF64[entry * (ENTRY_WORDS / 2) + Entry.createdAtF64]!)) {
      header[Header.clockHand] = hand;
      return entry;
    }
    if (candidate < 0) {
      if (refs[entry] !== 0) {
        refs[entry] = 0;
        continue;
      }
      candidate = entry;
      handAfterCandidate = hand;
    } else if (++liveSinceCandidate >= LOOKAHEAD) {
      break;
    }
  }
  if (candidate < 0) {
    header[Header.clockHand] = (firstLive + 1) % highWater;
    return firstLive;
  }
  header[Header.clockHand] = handAfterCandidate;
  return candidate;
}
