import { BIN_BITMAP_WORDS, BIN_COUNT, Header, type TableViews } from './layout.js';

/**
 * Allocates blocks of the arena for entries. Only ever called by the thread holding the table's
 * write lock, so it needs no atomics of its own; readers never look at allocator state.
 *
 * A block is `[header][payload...][footer]`, both 4-byte words holding the block size (a
 * multiple of 8) with bit 0 set while allocated. The footer lets `free` merge a block with the
 * free block before it in O(1). A free block keeps its free-list links in its second and third
 * words. Free blocks sit in segregated lists: exact 8-byte classes below 1 KiB, four classes per
 * power of two above, with a bitmap of non-empty lists, so a fit is found without scanning memory.
 *
 * Links and list heads hold `offset / 8 + 1` so that zero (fresh memory) means "none".
 */
export const MIN_BLOCK = 16;
const ALLOCATED = 1;
/** How many blocks of a quarter-octave list are tried before moving to a larger list. */
const FIRST_FIT_PROBES = 32;

export function blockSizeFor(payloadBytes: number): number {
  return Math.max(MIN_BLOCK, (payloadBytes + 8 + 7) & ~7);
}

export function binOf(size: number): number {
  if (size < 1024) return size >>> 3;
  const log = 31 - Math.clz32(size);
  return 128 + (log - 10) * 4 + ((size >>> (log - 2)) & 3);
}

export class ArenaAllocator {
  private readonly words: Int32Array;
  private readonly header: Int32Array;
  private readonly arenaBytes: number;
  private readonly bitmapStart = Header.bins + BIN_COUNT;

  constructor(views: TableViews) {
    this.words = views.arenaWords;
    this.header = views.header;
    this.arenaBytes = views.params.arenaBytes;
  }

  /** Makes the whole arena one free block. */
  reset(): void {
    this.header.fill(0, Header.bins, this.bitmapStart + BIN_BITMAP_WORDS);
    this.header[Header.arenaUsedBytes] = 0;
    this.setTags(0, this.arenaBytes, 0);
    this.insert(0, this.arenaBytes);
  }

  get usedBytes(): number {
    return this.header[Header.arenaUsedBytes]!;
  }

  /** Allocates a block of exactly `size` bytes (from `blockSizeFor`); `-1` when nothing fits. */
  allocate(size: number): number {
    const bin = binOf(size);
    let offset = -1;
    if (bin >= 128) offset = this.firstFitIn(bin, size);
    if (offset < 0) {
      const found = this.nonEmptyBinFrom(bin >= 128 ? bin + 1 : bin);
      if (found < 0) return -1;
      offset = this.headOf(found);
    }
    const blockSize = this.sizeAt(offset);
    this.remove(offset, blockSize);
    const rest = blockSize - size;
    if (rest >= MIN_BLOCK) {
      this.setTags(offset + size, rest, 0);
      this.insert(offset + size, rest);
      this.setTags(offset, size, ALLOCATED);
    } else {
      this.setTags(offset, blockSize, ALLOCATED);
    }
    this.header[Header.arenaUsedBytes]! += this.sizeAt(offset);
    return offset;
  }

  /** Returns a block, merging it with free neighbours. */
  free(offset: number): void {
    let start = offset;
    let size = this.sizeAt(offset);
    this.header[Header.arenaUsedBytes]! -= size;
    const after = start + size;
    if (after < this.arenaBytes && (this.words[after >>> 2]! & ALLOCATED) === 0) {
      const afterSize = this.sizeAt(after);
      this.remove(after, afterSize);
      size += afterSize;
    }
    if (start > 0 && (this.words[(start - 4) >>> 2]! & ALLOCATED) === 0) {
      const beforeSize = this.words[(start - 4) >>> 2]! & ~7;
      start -= beforeSize;
      this.remove(start, beforeSize);
      size += beforeSize;
    }
    this.setTags(start, size, 0);
    this.insert(start, size);
  }

  sizeAt(offset: number): number {
    return this.words[offset >>> 2]! & ~7;
  }

  /** The largest free block, for diagnostics and tests. */
  largestFree(): number {
    for (let bin = BIN_COUNT - 1; bin >= 0; bin--) {
      let best = 0;
      for (let link = this.header[Header.bins + bin]!; link !== 0; ) {
        const offset = (link - 1) * 8;
        best = Math.max(best, this.sizeAt(offset));
        link = this.words[(offset >>> 2) + 1]!;
      }
      if (best > 0) return best;
    }
    return 0;
  }

  /** Walks every block and checks tags, sizes and list membership; throws on any inconsistency. */
  verify(): { usedBytes: number; freeBytes: number; blocks: number } {
    let offset = 0;
    let usedBytes = 0;
    let freeBytes = 0;
    let blocks = 0;
    let previousFree = false;
    while (offset < this.arenaBytes) {
      const tag = this.words[offset >>> 2]!;
      const size = tag & ~7;
      if (size < MIN_BLOCK || offset + size > this.arenaBytes) throw new Error(`arena: bad block size ${size} at ${offset}`);
      if (this.words[(offset + size - 4) >>> 2] !== tag) throw new Error(`arena: footer differs from header at ${offset}`);
      const free = (tag & ALLOCATED) === 0;
      if (free && previousFree) throw new Error(`arena: two adjacent free blocks at ${offset}`);
      if (free) freeBytes += size;
      else usedBytes += size;
      previousFree = free;
      blocks++;
      offset += size;
    }
    if (usedBytes !== this.usedBytes) throw new Error(`arena: used bytes ${usedBytes} but counter says ${this.usedBytes}`);
    let listed = 0;
    for (let bin = 0; bin < BIN_COUNT; bin++) {
      for (let link = this.header[Header.bins + bin]!; link !== 0; ) {
        const at = (link - 1) * 8;
        if (binOf(this.sizeAt(at)) !== bin) throw new Error(`arena: block at ${at} is in the wrong list`);
        listed += this.sizeAt(at);
        link = this.words[(at >>> 2) + 1]!;
      }
    }
    if (listed !== freeBytes) throw new Error(`arena: free lists hold ${listed} bytes, blocks say ${freeBytes}`);
    return { usedBytes, freeBytes, blocks };
  }

  private firstFitIn(bin: number, size: number): number {
    let link = this.header[Header.bins + bin]!;
    for (let probes = 0; link !== 0 && probes < FIRST_FIT_PROBES; probes++) {
      const offset = (link - 1) * 8;
      if (this.sizeAt(offset) >= size) return offset;
      link = this.words[(offset >>> 2) + 1]!;
    }
    return -1;
  }

  private nonEmptyBinFrom(bin: number): number {
    for (let word = bin >>> 5; word < BIN_BITMAP_WORDS; word++) {
      let bits = this.header[this.bitmapStart + word]!;
      if (word === bin >>> 5) bits &= -1 << (bin & 31);
      if (bits !== 0) return word * 32 + (31 - Math.clz32(bits & -bits));
    }
    return -1;
  }

  private headOf(bin: number): number {
    return (this.header[Header.bins + bin]! - 1) * 8;
  }

  private setTags(offset: number, size: number, allocated: number): void {
    this.words[offset >>> 2] = size | allocated;
    this.words[(offset + size - 4) >>> 2] = size | allocated;
  }

  private insert(offset: number, size: number): void {
    const bin = binOf(size);
    const link = offset / 8 + 1;
    const head = this.header[Header.bins + bin]!;
    const at = offset >>> 2;
    this.words[at + 1] = head;
    this.words[at + 2] = 0;
    if (head !== 0) this.words[(((head - 1) * 8) >>> 2) + 2] = link;
    this.header[Header.bins + bin] = link;
    this.header[this.bitmapStart + (bin >>> 5)]! |= 1 << (bin & 31);
  }

  private remove(offset: number, size: number): void {
    const bin = binOf(size);
    const at = offset >>> 2;
    const next = this.words[at + 1]!;
    const previous = this.words[at + 2]!;
    if (previous !== 0) this.words[(((previous - 1) * 8) >>> 2) + 1] = next;
    else this.header[Header.bins + bin] = next;
    if (next !== 0) this.words[(((next - 1) * 8) >>> 2) + 2] = previous;
    if (this.header[Header.bins + bin] === 0) this.header[this.bitmapStart + (bin >>> 5)]! &= ~(1 << (bin & 31));
  }
}
