import type { CachedValue, NoValue } from '../../values.js';
import { ENTRY_WORDS, Entry } from './layout.js';

interface DecodedEntry {
  /** Entry record the value was read from. */
  readonly entry: number;
  /** Word index of that record's sequence number. */
  readonly seqIndex: number;
  /** The sequence number the bytes were read at; any later change to the record moves it on. */
  readonly seq: number;
  /** The decoded value (`NO_VALUE` for bytes that did not decode, so a failure is reported once). */
  readonly value: CachedValue | NoValue;
}

/**
 * This thread's decoded copies of shared entries. A copy is used only while its record's sequence
 * number is unchanged, which proves the record still holds the same key and bytes, so a repeated
 * read costs a `Map` lookup, one atomic load and a compare: no hashing of our own, no decode, no
 * copy. The map holds at most `limit` copies and drops the oldest first.
 */
export class DecodedCache {
  private readonly copies = new Map<string, DecodedEntry>();

  constructor(
    private readonly limit: number,
    private readonly entries: Int32Array,
    private readonly refs: Uint8Array,
  ) {}

  /** The decoded value if this thread's copy is still current, else `undefined`. */
  fresh(key: string): CachedValue | NoValue | undefined {
    const copy = this.copies.get(key);
    if (copy === undefined || Atomics.load(this.entries, copy.seqIndex) !== copy.seq) return undefined;
    // CLOCK reference bit: written only when clear, so hot reads keep the line shared.
    if (this.refs[copy.entry] === 0) this.refs[copy.entry] = 1;
    return copy.value;
  }

  remember(key: string, entry: number, seq: number, value: CachedValue | NoValue): void {
    if (this.limit === 0) return;
    if (this.copies.size >= this.limit && !this.copies.has(key)) {
      const oldest = this.copies.keys().next();
      if (oldest.done !== true) this.copies.delete(oldest.value);
    }
    this.copies.set(key, { entry, seqIndex: entry * ENTRY_WORDS + Entry.seq, seq, value });
  }

  forget(key: string): void {
    this.copies.delete(key);
  }

  clear(): void {
    this.copies.clear();
  }

  get size(): number {
    return this.copies.size;
  }
}
