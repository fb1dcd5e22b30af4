import { ValidationError } from '../errors.js';
import { describe } from '../time.js';
import { NO_VALUE, type NoValue } from '../values.js';
import type { BackendArguments, BackendEventSink, CacheBackend, StoredValue } from './api.js';

/** Arguments of the `memory` and `memory-serialized` backends. */
export interface MemoryBackendOptions {
  /**
   * Most entries kept; past it the least recently used entry is evicted (counted in
   * `stats().evictions`). Default: unbounded, like dogpile.cache's memory backend.
   */
  maxEntries?: number;
}

function readMaxEntries(args: BackendArguments): number {
  const value = args.maxEntries;
  if (value === undefined || value === null) return Number.POSITIVE_INFINITY;
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  throw new ValidationError(`memory backend: maxEntries must be a positive integer (or left out for no bound); got ${describe(value)}.`);
}

/**
 * Keeps entries in a `Map` in this thread. With `maxEntries`, reads refresh an entry's recency and
 * writes past the bound evict the least recently used entry (the Map's first key).
 */
class MapBackend implements CacheBackend {
  private readonly entries = new Map<string, StoredValue>();
  private readonly maxEntries: number;
  private readonly bounded: boolean;
  private emit: BackendEventSink | undefined;

  constructor(args: BackendArguments = {}) {
    this.maxEntries = readMaxEntries(args);
    this.bounded = Number.isFinite(this.maxEntries);
  }

  setEventSink(sink: BackendEventSink): void {
    this.emit = sink;
  }

  /** Number of entries held; for tests and diagnostics. */
  get size(): number {
    return this.entries.size;
  }

  get(key: string): StoredValue | NoValue {
    return this.getSync(key);
  }

  set(key: string, value: StoredValue): void {
    if (this.bounded) {
      this.entries.delete(key);
      this.entries.set(key, value);
      this.evictOverflow();
    } else {
      this.entries.set(key, value);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  getMulti(keys: readonly string[]): Array<StoredValue | NoValue> {
    return keys.map((key) => this.getSync(key));
  }

  setMulti(entries: ReadonlyArray<readonly [string, StoredValue]>): void {
    for (const [key, value] of entries) this.set(key, value);
  }

  deleteMulti(keys: readonly string[]): void {
    for (const key of keys) this.entries.delete(key);
  }

  getSync(key: string): StoredValue | NoValue {
    const value = this.entries.get(key);
    if (value === undefined) return NO_VALUE;
    if (this.bounded) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }
  setSync(key: string, value: StoredValue): void {
    this.set(key, value);
  }
  deleteSync(key: string): void {
    this.delete(key);
  }
  getMultiSync(keys: readonly string[]): Array<StoredValue | NoValue> {
    return this.getMulti(keys);
  }
  setMultiSync(entries: ReadonlyArray<readonly [string, StoredValue]>): void {
    this.setMulti(entries);
  }
  deleteMultiSync(keys: readonly string[]): void {
    this.deleteMulti(keys);
  }

  close(): void {
    this.entries.clear();
  }

  private evictOverflow(): void {
    let evicted = 0;
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      evicted++;
    }
    if (evicted > 0) this.emit?.({ type: 'eviction', count: evicted });
  }
}

/**
 * Values kept as they are, in this thread. Fastest, but a caller that mutates a value it got
 * mutates the cached value too; use `memory-serialized` when that matters.
 */
export class MemoryBackend extends MapBackend {}

/**
 * Values kept as serialized bytes, so every read returns a fresh copy and callers cannot change
 * what is cached.
 */
export class MemorySerializedBackend extends MapBackend {
  readonly serialized = true;
  readonly freshCopies = true;
}
