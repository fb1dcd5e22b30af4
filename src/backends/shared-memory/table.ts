import { ArenaAllocator, blockSizeFor } from './allocator.js';
import { chooseVictim, type ExpiredTest } from './eviction.js';
import { storedKeyBytes, storedKeyEquals, writeKey } from './hashing.js';
import { BUCKETS_PER_GROUP, ENTRY_WORDS, Entry, Header, KEY_LENGTH_MASK, KEY_LIVE, KEY_WIDE, type TableViews } from './layout.js';

/**
 * The writer side of the table: insert, update, remove, evict and rebuild. Every method here runs
 * while the caller holds the table's `WriteLock`, so writers never race each other; what they
 * must get right is the order of stores, so that lock-free readers (see `seqlock-read.ts`) only
 * ever accept consistent snapshots:
 *
 * - a record is changed between two increments of its sequence number (odd while changing);
 * - a block is freed only after the record that pointed to it moved on;
 * - a chain is unlinked between two increments of its bucket group's version, before the record
 *   is recycled (its `next` link then points elsewhere).
 */
export class SharedTable {
  readonly allocator: ArenaAllocator;
  private readonly mask: number;

  constructor(readonly views: TableViews) {
    this.allocator = new ArenaAllocator(views);
    this.mask = views.params.bucketCount - 1;
  }

  /** Sets up a freshly allocated (all-zero) buffer. */
  initialize(): void {
    this.allocator.reset();
  }

  get liveEntries(): number {
    return this.views.header[Header.liveEntries]!;
  }

  /** The live record holding `key`, or -1. */
  find(key: string, hash: number): number {
    const { entries, buckets, arenaBytes, arenaChars } = this.views;
    let link = buckets[hash & this.mask]!;
    while (link !== 0) {
      const entry = link - 1;
      const base = entry * ENTRY_WORDS;
      const keyWord = entries[base + Entry.key]!;
      if (
        entries[base + Entry.hash] === hash &&
        (keyWord & KEY_LIVE) !== 0 &&
        (keyWord & KEY_LENGTH_MASK) === key.length &&
        storedKeyEquals(arenaBytes, arenaChars, entries[base + Entry.block]! + 4, (keyWord & KEY_WIDE) !== 0, key)
      ) {
        return entry;
      }
      link = entries[base + Entry.next]!;
    }
    return -1;
  }

  /**
   * Stores `value` (encoded bytes) under `key`, evicting what it must. Returns the number of
   * entries evicted. The caller has checked the sizes against the limits.
   */
  store(key: string, hash: number, narrow: boolean, value: Uint8Array, createdAt: number, isExpired: ExpiredTest): number {
    const { entries, entriesF64, arenaBytes, arenaChars, refs } = this.views;
    const keyBytes = storedKeyBytes(key, narrow);
    const size = blockSizeFor(keyBytes + value.length);
    let existing = this.find(key, hash);
    let evictions = 0;

    let block = this.allocator.allocate(size);
    while (block < 0) {
      const victim = chooseVictim(this.views, isExpired);
      if (victim < 0) throw new Error(`shared-memory table: no room for a ${size}-byte block in an empty arena`);
      if (victim === existing) existing = -1;
      this.unlinkAndFree(victim);
      evictions++;
      block = this.allocator.allocate(size);
    }
    writeKey(arenaBytes, arenaChars, block + 4, key, narrow);
    arenaBytes.set(value, block + 4 + keyBytes);

    if (existing >= 0) {
      const base = existing * ENTRY_WORDS;
      const oldBlock = entries[base + Entry.block]!;
      Atomics.add(entries, base + Entry.seq, 1);
      entries[base + Entry.block] = block;
      entries[base + Entry.valueLength] = value.length;
      entriesF64[existing * (ENTRY_WORDS / 2) + Entry.createdAtF64] = createdAt;
      Atomics.add(entries, base + Entry.seq, 1);
      this.allocator.free(oldBlock);
      refs[existing] = 1;
      return evictions;
    }

    let entry = this.takeFreeRecord();
    while (entry < 0) {
      const victim = chooseVictim(this.views, isExpired);
      if (victim < 0) throw new Error('shared-memory table: no free record and nothing to evict');
      this.unlinkAndFree(victim);
      evictions++;
      entry = this.takeFreeRecord();
    }
    const bucket = hash & this.mask;
    const base = entry * ENTRY_WORDS;
    Atomics.add(entries, base + Entry.seq, 1);
    entries[base + Entry.hash] = hash;
    entries[base + Entry.block] = block;
    entries[base + Entry.valueLength] = value.length;
    entriesF64[entry * (ENTRY_WORDS / 2) + Entry.createdAtF64] = createdAt;
    entries[base + Entry.key] = key.length | (narrow ? 0 : KEY_WIDE) | KEY_LIVE;
    Atomics.store(entries, base + Entry.next, this.views.buckets[bucket]!);
    Atomics.add(entries, base + Entry.seq, 1);
    // Linking at the head needs no version bump: a reader either sees the new head or not.
    Atomics.store(this.views.buckets, bucket, entry + 1);
    refs[entry] = 0;
    this.views.header[Header.liveEntries]!++;
    return evictions;
  }

  /** Removes `key`; false when it was not there. */
  remove(key: string, hash: number): boolean {
    const entry = this.find(key, hash);
    if (entry < 0) return false;
    this.unlinkAndFree(entry);
    return true;
  }

  /**
   * Empties the table: used when a writer died inside a critical section and the structure may
   * be half-changed. Every record's sequence moves on, so no thread keeps using a decoded copy.
   */
  reset(): void {
    const { header, entries, buckets, groups, refs } = this.views;
    for (let group = 0; group < groups.length; group++) Atomics.store(groups, group, Atomics.load(groups, group) | 1);
    const highWater = Math.min(header[Header.entryHighWater]!, this.views.params.maxEntries);
    for (let entry = 0; entry < highWater; entry++) {
      const base = entry * ENTRY_WORDS;
      Atomics.store(entries, base + Entry.seq, (Atomics.load(entries, base + Entry.seq) | 1) + 1);
      entries[base + Entry.key] = 0;
      Atomics.store(entries, base + Entry.next, 0);
    }
    for (let bucket = 0; bucket < buckets.length; bucket++) Atomics.store(buckets, bucket, 0);
    refs.fill(0);
    header[Header.freeEntryHead] = 0;
    header[Header.entryHighWater] = 0;
    header[Header.clockHand] = 0;
    header[Header.liveEntries] = 0;
    this.allocator.reset();
    for (let group = 0; group < groups.length; group++) Atomics.add(groups, group, 1);
  }

  /** Walks the whole structure and throws on any inconsistency (tests and diagnostics). */
  verify(): { liveEntries: number; arenaUsedBytes: number; chainedEntries: number } {
    const { header, entries, buckets, groups } = this.views;
    const arena = this.allocator.verify();
    for (let group = 0; group < groups.length; group++) {
      if ((groups[group]! & 1) !== 0) throw new Error(`table: group ${group} left odd`);
    }
    let chained = 0;
    const highWater = header[Header.entryHighWater]!;
    const seen = new Uint8Array(highWater);
    for (let bucket = 0; bucket < buckets.length; bucket++) {
      for (let link = buckets[bucket]!; link !== 0; ) {
        const entry = link - 1;
        const base = entry * ENTRY_WORDS;
        if (entry >= highWater) throw new Error(`table: bucket ${bucket} links to unused record ${entry}`);
        if (seen[entry]) throw new Error(`table: record ${entry} linked twice`);
        seen[entry] = 1;
        if ((entries[base + Entry.key]! & KEY_LIVE) === 0) throw new Error(`table: dead record ${entry} is linked`);
        if ((entries[base + Entry.seq]! & 1) !== 0) throw new Error(`table: record ${entry} left odd`);
        if ((entries[base + Entry.hash]! & this.mask) !== bucket) throw new Error(`table: record ${entry} is in the wrong bucket`);
        chained++;
        link = entries[base + Entry.next]!;
      }
    }
    if (chained !== header[Header.liveEntries]) throw new Error(`table: ${chained} chained records but ${header[Header.liveEntries]} counted live`);
    return { liveEntries: chained, arenaUsedBytes: arena.usedBytes, chainedEntries: chained };
  }

  private takeFreeRecord(): number {
    const { header, entries } = this.views;
    const head = header[Header.freeEntryHead]!;
    if (head !== 0) {
      const entry = head - 1;
      header[Header.freeEntryHead] = entries[entry * ENTRY_WORDS + Entry.next]!;
      return entry;
    }
    const highWater = header[Header.entryHighWater]!;
    if (highWater < this.views.params.maxEntries) {
      header[Header.entryHighWater] = highWater + 1;
      return highWater;
    }
    return -1;
  }

  private unlinkAndFree(entry: number): void {
    const { header, entries, buckets, groups, refs } = this.views;
    const base = entry * ENTRY_WORDS;
    const bucket = entries[base + Entry.hash]! & this.mask;
    const group = (bucket / BUCKETS_PER_GROUP) | 0;
    const next = entries[base + Entry.next]!;
    let previous = -1;
    for (let link = buckets[bucket]!; link !== 0 && link - 1 !== entry; link = entries[(link - 1) * ENTRY_WORDS + Entry.next]!) {
      previous = link - 1;
    }
    Atomics.add(groups, group, 1);
    if (previous < 0) Atomics.store(buckets, bucket, next);
    else Atomics.store(entries, previous * ENTRY_WORDS + Entry.next, next);
    Atomics.add(groups, group, 1);

    const block = entries[base + Entry.block]!;
    Atomics.add(entries, base + Entry.seq, 1);
    entries[base + Entry.key] = 0;
    Atomics.add(entries, base + Entry.seq, 1);
    this.allocator.free(block);
    Atomics.store(entries, base + Entry.next, header[Header.freeEntryHead]!);
    header[Header.freeEntryHead] = entry + 1;
    refs[entry] = 0;
    header[Header.liveEntries]!--;
  }
}
