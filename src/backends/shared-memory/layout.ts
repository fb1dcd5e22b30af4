import { nextPowerOfTwo } from './options.js';

/**
 * The memory map of one shared table. Everything lives in a single `SharedArrayBuffer`:
 *
 * | section | size | what |
 * | --- | --- | --- |
 * | header | 4 KiB | magic, layout, write lock, CLOCK hand, free lists, invalidation state |
 * | stats | 64 lanes × 128 B | statistics counters, one cache line pair per lane so threads don't share lines |
 * | locks | `lockSlots` × 16 B | creation locks: a 64-bit (key hash, owner token) word and a 64-bit lease word |
 * | entries | `maxEntries` × 32 B | one record per entry (see `Entry`) |
 * | refs | `maxEntries` B | CLOCK reference bits, apart from the records so a read never writes a record's line |
 * | buckets | `bucketCount` × 4 B | head of each hash chain (entry index + 1, 0 = empty) |
 * | groups | `bucketCount / 8` × 4 B | a version per 8 buckets, bumped around chain changes (validates misses) |
 * | arena | `maxBytes` | blocks holding key and value bytes, managed by `ArenaAllocator` |
 */
export const LAYOUT_MAGIC = 0x44435348; // 'DCSH'
export const LAYOUT_VERSION = 1;

/** Word indexes (Int32) in the header. */
export const Header = {
  magic: 0,
  version: 1,
  maxEntries: 2,
  bucketCount: 3,
  lockSlots: 4,
  arenaBytes: 5,
  maxKeyBytes: 6,
  maxValueBytes: 7,
  lockLeaseMs: 8,
  /** Table write lock: 0 when free, else the holder's acquisition number. */
  writeLock: 9,
  /** Counter that numbers write lock acquisitions (never 0 once taken). */
  writeLockTicket: 10,
  /** Threads waiting for the write lock, so a release only notifies when someone sleeps. */
  writeLockWaiters: 11,
  clockHand: 12,
  /** Free entry records, linked through their `next` word (entry index + 1, 0 = none). */
  freeEntryHead: 13,
  /** Entry records below this index have been used at least once; above it they are fresh. */
  entryHighWater: 14,
  liveEntries: 15,
  arenaUsedBytes: 16,
  /** Creation lock tokens are taken from this counter. */
  lockTokenCounter: 17,
  /** How many times a writer found the write lock abandoned and rebuilt the table. */
  recoveries: 20,
  /**
   * Seqlock over the invalidation state (odd while being written, 0 = never invalidated). Every
   * region read checks it, so it has a cache line of its own (bytes 192–255) that table writes
   * never touch.
   */
  invalidationSeq: 48,
  invalidationHard: 49,
  /** Free-list heads of the allocator start here (`BIN_COUNT` words), then its bitmap. */
  bins: 64,
} as const;

/** Float64 indexes in the header (byte offset 8 × index). */
export const HeaderF64 = {
  /** Epoch ms the table was created: lock lease deadlines are 32-bit offsets from it. */
  timeBase: 16,
  /** In the invalidation cache line, next to `Header.invalidationSeq`. */
  invalidationAt: 25,
} as const;

/** Allocator bins (see `allocator.ts`): exact classes below 1 KiB, quarter-octaves above. */
export const BIN_COUNT = 212;
export const BIN_BITMAP_WORDS = Math.ceil(BIN_COUNT / 32);
export const HEADER_BYTES = 4096;

/** Word offsets of an entry record (8 Int32 words = 32 bytes). */
export const Entry = {
  /** Seqlock: odd while a writer changes the record; every change adds 2 in total. */
  seq: 0,
  hash: 1,
  /** Next entry in the hash chain (or the free list): entry index + 1, 0 = end. */
  next: 2,
  /** Byte offset of the entry's block in the arena. */
  block: 3,
  /** Key length in UTF-16 code units (low 29 bits) | `KEY_WIDE` | `KEY_LIVE`. */
  key: 4,
  valueLength: 5,
  /** Float64 slot (words 6–7): creation time of the value, epoch ms. */
  createdAtF64: 3,
} as const;
export const ENTRY_WORDS = 8;
export const ENTRY_BYTES = ENTRY_WORDS * 4;
export const KEY_LENGTH_MASK = (1 << 29) - 1;
/** The key is stored as UTF-16 code units (2 bytes each) instead of one byte per character. */
export const KEY_WIDE = 1 << 29;
/** The record holds a live entry. */
export const KEY_LIVE = 1 << 30;

export const STATS_LANES = 64;
/** 32 words per lane: low halves of the counters in words 0–15, high halves in 16–31. */
export const STATS_LANE_WORDS = 32;
export const STATS_HIGH_OFFSET = 16;

/** Each lock record is two BigInt64 words: (key hash << 32 | token) and (token << 32 | deadline). */
export const LOCK_WORDS = 2;
export const BUCKETS_PER_GROUP = 8;

/** Everything that fixes the memory map; identical in every thread that attaches. */
export interface LayoutParams {
  readonly maxEntries: number;
  readonly bucketCount: number;
  readonly lockSlots: number;
  readonly arenaBytes: number;
  readonly maxKeyBytes: number;
  readonly maxValueBytes: number;
  readonly lockLeaseMs: number;
}

/** Byte offsets and sizes of each section. */
export interface SectionMap {
  readonly stats: number;
  readonly locks: number;
  readonly entries: number;
  readonly refs: number;
  readonly buckets: number;
  readonly groups: number;
  readonly groupCount: number;
  readonly arena: number;
  readonly totalBytes: number;
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

export function bucketCountFor(maxEntries: number): number {
  return Math.max(BUCKETS_PER_GROUP, nextPowerOfTwo(maxEntries));
}

export function sectionsOf(params: LayoutParams): SectionMap {
  const stats = HEADER_BYTES;
  const locks = stats + STATS_LANES * STATS_LANE_WORDS * 4;
  const entries = align(locks + params.lockSlots * LOCK_WORDS * 8, 64);
  const refs = align(entries + params.maxEntries * ENTRY_BYTES, 64);
  const buckets = align(refs + params.maxEntries, 64);
  const groupCount = params.bucketCount / BUCKETS_PER_GROUP;
  const groups = align(buckets + params.bucketCount * 4, 64);
  const arena = align(groups + groupCount * 4, 64);
  return { stats, locks, entries, refs, buckets, groups, groupCount, arena, totalBytes: arena + params.arenaBytes };
}

/** Typed views over one table; each thread builds its own over the same buffer. */
export interface TableViews {
  readonly buffer: SharedArrayBuffer;
  readonly params: LayoutParams;
  readonly sections: SectionMap;
  readonly header: Int32Array;
  readonly headerF64: Float64Array;
  readonly stats: Uint32Array;
  readonly locks: BigInt64Array;
  readonly entries: Int32Array;
  readonly entriesF64: Float64Array;
  readonly refs: Uint8Array;
  readonly buckets: Int32Array;
  readonly groups: Int32Array;
  readonly arenaBytes: Uint8Array;
  readonly arenaWords: Int32Array;
  /** UTF-16 view of the arena for wide keys (keys start 2-byte aligned). */
  readonly arenaChars: Uint16Array;
}

export function viewsOf(buffer: SharedArrayBuffer, params: LayoutParams): TableViews {
  const sections = sectionsOf(params);
  return {
    buffer,
    params,
    sections,
    header: new Int32Array(buffer, 0, HEADER_BYTES / 4),
    headerF64: new Float64Array(buffer, 0, HEADER_BYTES / 8),
    stats: new Uint32Array(buffer, sections.stats, STATS_LANES * STATS_LANE_WORDS),
    locks: new BigInt64Array(buffer, sections.locks, params.lockSlots * LOCK_WORDS),
    entries: new Int32Array(buffer, sections.entries, params.maxEntries * ENTRY_WORDS),
    entriesF64: new Float64Array(buffer, sections.entries, params.maxEntries * (ENTRY_WORDS / 2)),
    refs: new Uint8Array(buffer, sections.refs, params.maxEntries),
    buckets: new Int32Array(buffer, sections.buckets, params.bucketCount),
    groups: new Int32Array(buffer, sections.groups, sections.groupCount),
    arenaBytes: new Uint8Array(buffer, sections.arena, params.arenaBytes),
    arenaWords: new Int32Array(buffer, sections.arena, params.arenaBytes / 4),
    arenaChars: new Uint16Array(buffer, sections.arena, params.arenaBytes / 2),
  };
}

/** Writes the identifying header of a fresh (all-zero) buffer. */
export function initializeHeader(views: TableViews, createdAt: number): void {
  const { header, headerF64, params } = views;
  header[Header.version] = LAYOUT_VERSION;
  header[Header.maxEntries] = params.maxEntries;
  header[Header.bucketCount] = params.bucketCount;
  header[Header.lockSlots] = params.lockSlots;
  header[Header.arenaBytes] = params.arenaBytes;
  header[Header.maxKeyBytes] = params.maxKeyBytes;
  header[Header.maxValueBytes] = params.maxValueBytes;
  header[Header.lockLeaseMs] = params.lockLeaseMs;
  headerF64[HeaderF64.timeBase] = createdAt;
  // The magic goes last, with a full barrier: a buffer that carries it is completely set up.
  Atomics.store(header, Header.magic, LAYOUT_MAGIC);
}

/** The layout parameters recorded in a buffer's header, or a description of what is wrong. */
export function readLayout(buffer: SharedArrayBuffer): LayoutParams | string {
  if (buffer.byteLength < HEADER_BYTES) return `the buffer is ${buffer.byteLength} bytes, smaller than a table header`;
  const header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
  if (Atomics.load(header, Header.magic) !== LAYOUT_MAGIC) return 'the buffer does not hold a shared-memory cache table';
  if (header[Header.version] !== LAYOUT_VERSION) {
    return `the table has layout version ${header[Header.version]}, this library reads version ${LAYOUT_VERSION}`;
  }
  const params: LayoutParams = {
    maxEntries: header[Header.maxEntries]!,
    bucketCount: header[Header.bucketCount]!,
    lockSlots: header[Header.lockSlots]!,
    arenaBytes: header[Header.arenaBytes]!,
    maxKeyBytes: header[Header.maxKeyBytes]!,
    maxValueBytes: header[Header.maxValueBytes]!,
    lockLeaseMs: header[Header.lockLeaseMs]!,
  };
  const expected = sectionsOf(params).totalBytes;
  if (expected !== buffer.byteLength) return `the header describes ${expected} bytes but the buffer has ${buffer.byteLength}`;
  return params;
}
