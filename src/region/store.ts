import { isThenable, type CacheBackend, type MaybePromise, type StatsStore, type StoredValue } from '../backends/api.js';
import { BackendUnavailableError } from '../errors.js';
import { CachedValue, NO_VALUE, type NoValue } from '../values.js';
import type { EntryCodec } from './codec.js';

export type Decoded = CachedValue | NoValue;

/** Reports an unreachable backend that was tolerated (fail-open). */
export type BackendErrorReporter = (operation: string, key: string | undefined, error: unknown) => void;

/**
 * The region's view of its backend: keys already mangled, values encoded and decoded, and an
 * unreachable backend turned into misses and dropped writes when the region fails open. Every
 * method answers synchronously when the backend does.
 */
export class RegionStore {
  constructor(
    readonly backend: CacheBackend,
    readonly codec: EntryCodec,
    private readonly counters: StatsStore,
    private readonly failOpen: boolean,
    private readonly report: BackendErrorReporter,
  ) {}

  /**
   * Runs a backend call that has a safe answer when the backend is unreachable (a lock that
   * cannot be reached is treated as taken by this caller, so creators run): with fail-open, an
   * unreachable backend gives `fallback`; anything else is rethrown.
   */
  guard<T>(operation: string, key: string, run: () => MaybePromise<T>, fallback: T): MaybePromise<T> {
    try {
      const result = run();
      if (!isThenable<T>(result)) return result;
      return Promise.resolve(result).catch((error: unknown) => {
        this.tolerate(operation, key, error);
        return fallback;
      });
    } catch (error) {
      this.tolerate(operation, key, error);
      return fallback;
    }
  }

  /** Rethrows unless the error is an unreachable backend and the region fails open. */
  private tolerate(operation: string, key: string | undefined, error: unknown): void {
    if (!this.failOpen || !(error instanceof BackendUnavailableError)) throw error;
    this.counters.increment('backendErrors');
    this.report(operation, key, error);
  }

  encode(payload: unknown, createdAt: number): StoredValue {
    return this.codec.toStored(payload, createdAt);
  }

  /** Answers synchronously when the backend does; otherwise always with a native promise. */
  read(key: string): MaybePromise<Decoded> {
    try {
      const stored = this.backend.get(key);
      if (!isThenable<StoredValue | NoValue>(stored)) return this.codec.fromStored(stored, key);
      return Promise.resolve(stored).then(
        (found) => this.codec.fromStored(found, key),
        (error: unknown) => {
          this.tolerate('get', key, error);
          return NO_VALUE;
        },
      );
    } catch (error) {
      this.tolerate('get', key, error);
      return NO_VALUE;
    }
  }

  readSync(key: string): Decoded {
    let stored: StoredValue | NoValue;
    try {
      stored = this.backend.getSync!(key);
    } catch (error) {
      this.tolerate('get', key, error);
      return NO_VALUE;
    }
    return this.codec.fromStored(stored, key);
  }

  async readMany(keys: readonly string[]): Promise<Decoded[]> {
    const backend = this.backend;
    let stored: Array<StoredValue | NoValue>;
    try {
      stored = backend.getMulti ? await backend.getMulti(keys) : await Promise.all(keys.map((key) => backend.get(key)));
    } catch (error) {
      this.tolerate('getMulti', undefined, error);
      return keys.map(() => NO_VALUE);
    }
    return stored.map((found, index) => this.codec.fromStored(found, keys[index]!));
  }

  readManySync(keys: readonly string[]): Decoded[] {
    const backend = this.backend;
    let stored: Array<StoredValue | NoValue>;
    try {
      stored = backend.getMultiSync ? backend.getMultiSync(keys) : keys.map((key) => backend.getSync!(key));
    } catch (error) {
      this.tolerate('getMulti', undefined, error);
      return keys.map(() => NO_VALUE);
    }
    return stored.map((found, index) => this.codec.fromStored(found, keys[index]!));
  }

  write(key: string, value: StoredValue): MaybePromise<void> {
    try {
      const written = this.backend.set(key, value);
      if (isThenable<void>(written)) return Promise.resolve(written).catch((error: unknown) => this.tolerate('set', key, error));
    } catch (error) {
      this.tolerate('set', key, error);
    }
  }

  writeSync(key: string, value: StoredValue): void {
    try {
      this.backend.setSync!(key, value);
    } catch (error) {
      this.tolerate('set', key, error);
    }
  }

  async writeMany(entries: ReadonlyArray<readonly [string, StoredValue]>): Promise<void> {
    if (entries.length === 0) return;
    const backend = this.backend;
    try {
      if (backend.setMulti) await backend.setMulti(entries);
      else for (const [key, value] of entries) await backend.set(key, value);
    } catch (error) {
      this.tolerate('setMulti', undefined, error);
    }
  }

  writeManySync(entries: ReadonlyArray<readonly [string, StoredValue]>): void {
    if (entries.length === 0) return;
    const backend = this.backend;
    try {
      if (backend.setMultiSync) backend.setMultiSync(entries);
      else for (const [key, value] of entries) backend.setSync!(key, value);
    } catch (error) {
      this.tolerate('setMulti', undefined, error);
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await this.backend.delete(key);
    } catch (error) {
      this.tolerate('delete', key, error);
    }
  }

  removeSync(key: string): void {
    try {
      this.backend.deleteSync!(key);
    } catch (error) {
      this.tolerate('delete', key, error);
    }
  }

  async removeMany(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const backend = this.backend;
    try {
      if (backend.deleteMulti) await backend.deleteMulti(keys);
      else for (const key of keys) await backend.delete(key);
    } catch (error) {
      this.tolerate('deleteMulti', undefined, error);
    }
  }

  removeManySync(keys: readonly string[]): void {
    if (keys.length === 0) return;
    const backend = this.backend;
    try {
      if (backend.deleteMultiSync) backend.deleteMultiSync(keys);
      else for (const key of keys) backend.deleteSync!(key);
    } catch (error) {
      this.tolerate('deleteMulti', undefined, error);
    }
  }
}
