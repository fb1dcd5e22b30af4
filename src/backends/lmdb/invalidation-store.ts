// The region-wide invalidation state, kept in the environment so that `invalidate()` in any
// process or thread reaches every region over the same path. One lookup serves a synchronous
// stretch, which is never staler than LMDB's own read snapshot (lmdb-js renews it on a later
// timer tick).
import { StretchCachedInvalidationStore, decodeInvalidation } from '../local-store/invalidation-record.js';
import type { InvalidationState } from '../api.js';
import type { BinaryDatabase } from './environment.js';

const KEY = 'invalidation';

export class LmdbInvalidationStore extends StretchCachedInvalidationStore {
  constructor(private readonly db: BinaryDatabase) {
    super();
  }

  protected load(): InvalidationState | undefined {
    // Decoded before anything else reads: the fast buffer is reused by the next lookup.
    return decodeInvalidation(this.db.getBinaryFast(KEY));
  }

  protected save(bytes: Buffer): void {
    this.db.putSync(KEY, bytes);
  }
}
