// The region-wide invalidation state, kept in the environment so that `invalidate()` in any
// process or thread reaches every region over the same path. 9 bytes: the timestamp (float64 LE,
// epoch ms) and a hard/soft flag. Reads are a single LMDB lookup on the region's hot path.
import type { InvalidationState, InvalidationStore } from '../api.js';
import type { BinaryDatabase } from './environment.js';

const KEY = 'invalidation';
const SIZE = 9;

export class LmdbInvalidationStore implements InvalidationStore {
  constructor(private readonly db: BinaryDatabase) {}

  read(): InvalidationState | undefined {
    // Decoded before anything else reads: the fast buffer is reused by the next lookup.
    const bytes = this.db.getBinaryFast(KEY);
    if (bytes === undefined || bytes.length < SIZE) return undefined;
    return { at: bytes.readDoubleLE(0), hard: bytes[8] === 1 };
  }

  write(state: InvalidationState): void {
    const bytes = Buffer.alloc(SIZE);
    bytes.writeDoubleLE(state.at, 0);
    bytes[8] = state.hard ? 1 : 0;
    this.db.putSync(KEY, bytes);
  }
}
