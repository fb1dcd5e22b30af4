import type { InvalidationState, InvalidationStore } from '../api.js';
import { Header, HeaderF64 } from './layout.js';

const READ_ATTEMPTS = 64;

/**
 * The region's invalidation state in the shared header, so `invalidate()` in one thread reaches
 * every region over the same table. Guarded by a seqlock (`invalidationSeq`, 0 = never
 * invalidated). A read is one atomic load while nothing changed, because each thread keeps the
 * last state it decoded together with the sequence number it was read at.
 */
export class SharedInvalidationStore implements InvalidationStore {
  private seenSeq = 0;
  private seenState: InvalidationState | undefined;

  constructor(
    private readonly header: Int32Array,
    private readonly headerF64: Float64Array,
    /** Runs the write under the table's write lock, which serializes writers across threads. */
    private readonly exclusive: (write: () => void) => void,
  ) {}

  read(): InvalidationState | undefined {
    let seq = Atomics.load(this.header, Header.invalidationSeq);
    if (seq === this.seenSeq) return this.seenState;
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      if ((seq & 1) === 0) {
        const at = this.headerF64[HeaderF64.invalidationAt]!;
        const hard = this.header[Header.invalidationHard] === 1;
        if (Atomics.add(this.header, Header.invalidationSeq, 0) === seq) {
          this.seenSeq = seq;
          this.seenState = { at, hard };
          return this.seenState;
        }
      }
      seq = Atomics.load(this.header, Header.invalidationSeq);
    }
    // A writer stalled mid-change: keep answering with the last consistent state.
    return this.seenState;
  }

  write(state: InvalidationState): void {
    this.exclusive(() => {
      Atomics.add(this.header, Header.invalidationSeq, 1);
      this.headerF64[HeaderF64.invalidationAt] = state.at;
      this.header[Header.invalidationHard] = state.hard ? 1 : 0;
      Atomics.add(this.header, Header.invalidationSeq, 1);
    });
  }
}
