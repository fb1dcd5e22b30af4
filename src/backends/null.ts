import { NO_VALUE, type NoValue } from '../values.js';
import type { CacheBackend, StoredValue, SyncCacheMutex } from './api.js';

/** A mutex that never blocks and is never held: every caller creates. */
class NullMutex implements SyncCacheMutex {
  acquire(): boolean {
    return true;
  }
  release(): void {}
  locked(): boolean {
    return false;
  }
  acquireSync(): boolean {
    return true;
  }
  releaseSync(): void {}
  lockedSync(): boolean {
    return false;
  }
}

const NULL_MUTEX = new NullMutex();

/**
 * Stores nothing: every read misses and every `getOrCreate` runs its creator. Useful to switch
 * caching off by configuration without changing code.
 */
export class NullBackend implements CacheBackend {
  get(): NoValue {
    return NO_VALUE;
  }
  set(): void {}
  delete(): void {}
  getMulti(keys: readonly string[]): NoValue[] {
    return keys.map(() => NO_VALUE);
  }
  setMulti(): void {}
  deleteMulti(): void {}
  getSync(): StoredValue | NoValue {
    return NO_VALUE;
  }
  setSync(): void {}
  deleteSync(): void {}
  getMultiSync(keys: readonly string[]): NoValue[] {
    return keys.map(() => NO_VALUE);
  }
  setMultiSync(): void {}
  deleteMultiSync(): void {}
  getMutex(): SyncCacheMutex {
    return NULL_MUTEX;
  }
}
