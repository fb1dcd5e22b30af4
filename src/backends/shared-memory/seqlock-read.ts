import { storedKeyEquals } from './hashing.js';
import { BUCKETS_PER_GROUP, ENTRY_WORDS, Entry, KEY_LENGTH_MASK, KEY_LIVE, KEY_WIDE, type TableViews } from './layout.js';

/** A value read consistently from the table: a private copy of its bytes and the record's version. */
export interface EntryRead {
  readonly entry: number;
  readonly seq: number;
  readonly bytes: Uint8Array;
}

/**
 * Lookups give up (and report a miss) after this many inconsistent snapshots, so a reader never
 * waits on writers, not even on one that died in the middle of a change.
 */
export const MAX_READ_ATTEMPTS = 64;
/**
 * x86 never lets a load pass an earlier load, and V8 keeps typed-array loads in program order
 * around `Atomics.load`, so there the closing check can be a plain atomic load. Elsewhere (ARM)
 * an earlier ordinary load may be satisfied after a load-acquire, so the check is a
 * read-modify-write, which orders every earlier access before it. (The RMW writes the record's
 * cache line, which other threads' version checks then miss: that is why x86 avoids it.)
 */
const LOADS_STAY_ORDERED = process.arch === 'x64' || process.arch === 'ia32';
/** While walking a chain, re-check the chain version this often, so a walk that wandered off ends early. */
const VERSION_CHECK_STEPS = 32;

/**
 * Thread-local memory for the copies a read makes. Allocating an `ArrayBuffer` per read (what
 * `slice` does) costs more than the copy itself, so small copies are carved out of an 8 KiB
 * block, like Node's Buffer pool. A view is never handed out twice; a block is dropped (and
 * garbage-collected once no decoded value refers to it) when it is used up.
 */
const POOL_BYTES = 8 * 1024;
let pool = new ArrayBuffer(POOL_BYTES);
let poolUsed = 0;

function privateBytes(length: number): Uint8Array {
  if (length > POOL_BYTES >>> 2) return new Uint8Array(length);
  if (poolUsed + length > POOL_BYTES) {
    pool = new ArrayBuffer(POOL_BYTES);
    poolUsed = 0;
  }
  const bytes = new Uint8Array(pool, poolUsed, length);
  poolUsed = (poolUsed + length + 7) & ~7;
  return bytes;
}

/**
 * Finds `key` without taking any lock.
 *
 * A hit is valid when the entry record's sequence number was even before the fields and bytes were
 * read and is unchanged after: writers make it odd while they change a record and add 2 overall,
 * and a block is only freed (and then reused) after its record moved on. The bytes are copied out
 * before that check, so nothing is decoded from memory that another thread may be rewriting. The
 * closing check must come after the plain reads: see `LOADS_STAY_ORDERED`.
 *
 * A miss is valid when the version of the bucket's group did not move during the walk: removing
 * or recycling a record bumps it, so a walk that followed a recycled record's link into another
 * chain is retried instead of reporting a key absent that is present.
 */
export function readEntry(views: TableViews, key: string, hash: number): EntryRead | undefined {
  const { entries, buckets, groups, arenaBytes, arenaChars, params } = views;
  const bucket = hash & (params.bucketCount - 1);
  const group = (bucket / BUCKETS_PER_GROUP) | 0;
  const maxEntries = params.maxEntries;
  const maxValueBytes = params.maxValueBytes;
  const arenaSize = params.arenaBytes;

  attempts: for (let attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
    const version = Atomics.load(groups, group);
    if ((version & 1) !== 0) continue;
    let link = Atomics.load(buckets, bucket);
    let steps = 0;
    while (link !== 0) {
      const entry = link - 1;
      if (entry < 0 || entry >= maxEntries) continue attempts;
      const base = entry * ENTRY_WORDS;
      const seq = Atomics.load(entries, base + Entry.seq);
      if ((seq & 1) !== 0) continue attempts;
      const keyWord = entries[base + Entry.key]!;
      if (entries[base + Entry.hash] === hash && (keyWord & KEY_LIVE) !== 0 && (keyWord & KEY_LENGTH_MASK) === key.length) {
        const block = entries[base + Entry.block]!;
        const valueLength = entries[base + Entry.valueLength]!;
        const wide = (keyWord & KEY_WIDE) !== 0;
        const keyStart = block + 4;
        const valueStart = keyStart + (wide ? key.length * 2 : key.length);
        if (
          block >= 0 &&
          valueLength >= 0 &&
          valueLength <= maxValueBytes &&
          valueStart + valueLength <= arenaSize &&
          storedKeyEquals(arenaBytes, arenaChars, keyStart, wide, key)
        ) {
          const bytes = privateBytes(valueLength);
          bytes.set(arenaBytes.subarray(valueStart, valueStart + valueLength));
          const seqAfter = LOADS_STAY_ORDERED ? Atomics.load(entries, base + Entry.seq) : Atomics.add(entries, base + Entry.seq, 0);
          if (seqAfter === seq) return { entry, seq, bytes };
          continue attempts;
        }
      }
      link = Atomics.load(entries, base + Entry.next);
      if (Atomics.load(entries, base + Entry.seq) !== seq) continue attempts;
      steps++;
      if (steps > maxEntries || (steps % VERSION_CHECK_STEPS === 0 && Atomics.load(groups, group) !== version)) continue attempts;
    }
    if (Atomics.load(groups, group) === version) return undefined;
  }
  return undefined;
}
