import type { InvalidationState, InvalidationStore } from '../backends/api.js';
import { now } from '../time.js';

/**
 * Decides which cached values a region-wide `invalidate()` has made invalid. It only ever sees a
 * value's creation time (epoch ms). Replace it with `configure({ regionInvalidator })`.
 */
export interface RegionInvalidationStrategy {
  /** Invalidates every value created before now; `hard` makes them misses, soft makes them stale. */
  invalidate(hard?: boolean): void;
  /** Whether a value created at `createdAt` is invalid, hard or soft. */
  isInvalidated(createdAt: number): boolean;
  isHardInvalidated(createdAt: number): boolean;
  isSoftInvalidated(createdAt: number): boolean;
  wasHardInvalidated(): boolean;
  wasSoftInvalidated(): boolean;
}

/**
 * Keeps one invalidation timestamp and mode; a later `invalidate()` replaces both. When the
 * backend offers an {@link InvalidationStore} (shared memory, LMDB, files) the state lives there,
 * so an `invalidate()` in any thread or process reaches every region over that storage.
 */
export class DefaultInvalidationStrategy implements RegionInvalidationStrategy {
  private local: InvalidationState | undefined;

  constructor(private store?: InvalidationStore) {}

  /** Moves the state into a backend's shared store (the region calls this at configure time). */
  useStore(store: InvalidationStore | undefined): void {
    this.store = store;
  }

  private state(): InvalidationState | undefined {
    return this.store ? this.store.read() : this.local;
  }

  invalidate(hard = true): void {
    const state = { at: now(), hard: Boolean(hard) };
    if (this.store) this.store.write(state);
    else this.local = state;
  }

  isInvalidated(createdAt: number): boolean {
    const state = this.state();
    return state !== undefined && createdAt < state.at;
  }

  isHardInvalidated(createdAt: number): boolean {
    const state = this.state();
    return state !== undefined && state.hard && createdAt < state.at;
  }

  isSoftInvalidated(createdAt: number): boolean {
    const state = this.state();
    return state !== undefined && !state.hard && createdAt < state.at;
  }

  wasHardInvalidated(): boolean {
    return this.state()?.hard === true;
  }

  wasSoftInvalidated(): boolean {
    return this.state()?.hard === false;
  }
}
