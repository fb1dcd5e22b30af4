// The region-wide invalidation state, kept in the environment so that `invalidate()` in any
// process or thread reaches every region over the same path. 9 bytes: the timestamp (float64 LE,
// epoch ms) and a hard/soft flag.
//
// The region reads the state on every lookup, often more than once, so one LMDB lookup serves a
// whole synchronous stretch of code (it is redone after the next microtask checkpoint). That is
// never staler than LMDB's own read snapshot, which lmdb-js only renews on a later timer tick.
import type { InvalidationState, InvalidationStore } from '../api.js';
import type { BinaryDatabase } from './environment.js';

const KEY = 'invalidation';
const SIZE = 9;

export class LmdbInvalidationStore implements InvalidationStore {
  private state: InvalidationState | undefined;
  private checkedThisStretch = false;
  private readonly endStretch = (): void => {
    this.checkedThisStretch = false;
  };

  constructor(private readonly db: BinaryDatabase) {}

  read(): InvalidationState | undefined {
    if (this.checkedThisStretch) return this.state;
    this.checkedThisStretch = true;
    queueMicrotask(this.endStretch);
    // Decoded before anything else reads: the fast buffer is reused by the next lookup.
    const bytes = this.db.getBinaryFast(KEY);
    this.state = bytes === undefined || bytes.length < SIZE ? undefined : { at: bytes.readDoubleLE(0), hard: bytes[8] === 1 };
    return this.state;
  }

  /** Makes the next read look at the environment again. */
  refresh(): void {
    this.checkedThisStretch = false;
  }

  write(state: InvalidationState): void {
    const bytes = Buffer.alloc(SIZE);
    bytes.writeDoubleLE(state.at, 0);
    bytes[8] = state.hard ? 1 : 0;
    this.db.putSync(KEY, bytes);
    this.state = state;
  }
}
