// The `tiered` backend: several backends in a chain, nearest first (shared memory for the
// threads of a process, lmdb for the processes of a host, Redis for every host). A read takes the
// nearest fresh value and copies it into the nearer tiers that lacked it; a write goes to every
// tier; the creation lock is the chain of the tiers' locks (tiered-mutex.ts), so a stampede over
// threads × processes × hosts costs one creator call and at most one Redis lock attempt per host.
//
// The region hands this backend `CachedValue` objects; tiers that store bytes get them encoded
// with the region's codec (once per write, whatever the number of such tiers).
import { DogpileCacheError, ValidationError } from '../../errors.js';
import { coarseNow, describe } from '../../time.js';
import { NO_VALUE, isNoValue, type CachedValue, type NoValue } from '../../values.js';
import {
  isSyncBackend,
  isSyncMutex,
  isThenable,
  type BackendArguments,
  type BackendEventSink,
  type CacheBackend,
  type CacheMutex,
  type InvalidationStore,
  type RegionOptionsForBackend,
  type StatsStore,
  type StoredValue,
  type ValueCodec,
} from '../api.js';
import { lookupBackend, isBackendClass } from '../registry.js';
import { resolveTiers, type TieredBackendOptions } from './options.js';
import { SyncTieredMutex, TieredMutex, type TierFailure } from './tiered-mutex.js';

const HANDLE_KIND = 'dogpile-cache:tiered';
/** How long nearer locks wait on a busy farther one when the region sets no lock timeout. */
const DEFAULT_FOLLOW_MS = 30_000;

/** What `share()` returns: each tier's registered name and its own handle. */
export interface TieredBackendHandle {
  readonly kind: typeof HANDLE_KIND;
  readonly tiers: ReadonlyArray<{ readonly backend: string; readonly handle: unknown }>;
}

interface Tier {
  readonly name: string;
  readonly backend: CacheBackend;
}

type Found = CachedValue | NoValue;

export class TieredBackend implements CacheBackend {
  readonly freshCopies: boolean;
  readonly invalidationStore: InvalidationStore | undefined;
  readonly statsStore: StatsStore | undefined;

  /** Present only when every tier answers synchronously. */
  readonly getSync?: (key: string) => Found;
  readonly setSync?: (key: string, value: StoredValue) => void;
  readonly deleteSync?: (key: string) => void;
  readonly getMultiSync?: (keys: readonly string[]) => Found[];
  readonly setMultiSync?: (entries: ReadonlyArray<readonly [string, StoredValue]>) => void;
  readonly deleteMultiSync?: (keys: readonly string[]) => void;

  private readonly tiers: readonly Tier[];
  /** The same tiers, widest first: the order of writes, deletes and closing. */
  private readonly farthestFirst: readonly Tier[];
  /** Whether a write makes the envelope bytes (some tier stores bytes). */
  private readonly encodesOnce: boolean;
  private codec: ValueCodec | undefined;
  private expirationMs = Number.POSITIVE_INFINITY;
  private lockTimeoutMs = Number.POSITIVE_INFINITY;
  private sink: BackendEventSink = () => {};
  /** Follows in progress (see TieredMutex): closing waits for them. */
  private readonly follows = new Set<Promise<void>>();

  constructor(args: BackendArguments) {
    this.tiers = openTiers(args);
    this.freshCopies = this.tiers.some((tier) => tier.backend.freshCopies === true);
    this.encodesOnce = this.tiers.some((tier) => tier.backend.serialized === true);
    // The widest tier that keeps them: invalidating or counting reaches everyone sharing it.
    this.farthestFirst = [...this.tiers].reverse();
    this.invalidationStore = this.farthestFirst.find((tier) => tier.backend.invalidationStore)?.backend.invalidationStore;
    this.statsStore = this.farthestFirst.find((tier) => tier.backend.statsStore)?.backend.statsStore;
    if (this.tiers.every((tier) => isSyncBackend(tier.backend))) {
      this.getSync = (key) => this.readSync(key);
      this.setSync = (key, value) => this.writeSync(key, value);
      this.deleteSync = (key) => this.removeSync(key);
      this.getMultiSync = (keys) => keys.map((key) => this.readSync(key));
      this.setMultiSync = (entries) => entries.forEach(([key, value]) => this.writeSync(key, value));
      this.deleteMultiSync = (keys) => keys.forEach((key) => this.removeSync(key));
    }
  }

  /** Rebuilds the chain in another thread from `share()`'s handle: every tier attaches its own. */
  static attach(handle: unknown): TieredBackend {
    const shared = handle as Partial<TieredBackendHandle> | null;
    if (shared === null || typeof shared !== 'object' || shared.kind !== HANDLE_KIND || !Array.isArray(shared.tiers)) {
      throw new ValidationError(`TieredBackend.attach needs the handle returned by share(); got ${describe(handle)}.`);
    }
    const tiers = shared.tiers.map(({ backend, handle: tierHandle }) => {
      const found = lookupBackend(backend);
      if (!isBackendClass(found) || typeof found.attach !== 'function') {
        throw new ValidationError(`tiered backend: the ${JSON.stringify(backend)} tier cannot be attached in another thread.`);
      }
      return { name: backend, backend: found.attach(tierHandle) };
    });
    return new TieredBackend({ [ATTACHED]: tiers });
  }

  /** The tiers' backends, nearest first. */
  get tierBackends(): readonly CacheBackend[] {
    return this.tiers.map((tier) => tier.backend);
  }

  share(): TieredBackendHandle {
    return {
      kind: HANDLE_KIND,
      tiers: this.tiers.map(({ name, backend }) => {
        if (typeof backend.share !== 'function') {
          throw new DogpileCacheError(`tiered backend: its ${JSON.stringify(name)} tier cannot be shared with another thread (it has no share()).`);
        }
        return { backend: name, handle: backend.share() };
      }),
    };
  }

  useCodec(codec: ValueCodec): void {
    this.codec = codec;
    for (const { backend } of this.tiers) backend.useCodec?.(codec);
  }

  useRegionOptions(options: RegionOptionsForBackend): void {
    this.expirationMs = options.expirationTimeMs;
    this.lockTimeoutMs = options.lockTimeoutMs;
    for (const { backend } of this.tiers) backend.useRegionOptions?.(options);
  }

  setEventSink(sink: BackendEventSink): void {
    this.sink = sink;
    for (const { backend } of this.tiers) backend.setEventSink?.(sink);
  }

  // Reads -------------------------------------------------------------------------------------

  /** The nearest fresh value (copied into nearer tiers that lacked it), else the newest stale one. */
  get(key: string): Found | Promise<Found> {
    let first: StoredValue | NoValue | Promise<StoredValue | NoValue>;
    try {
      first = this.tiers[0]!.backend.get(key);
    } catch (error) {
      return this.readFrom(key, ReadWalk.failedFirst(this.tiers.length, error));
    }
    if (isThenable<StoredValue | NoValue>(first)) {
      return Promise.resolve(first).then(
        (stored) => this.afterNearest(key, stored),
        (error: unknown) => this.readFrom(key, ReadWalk.failedFirst(this.tiers.length, error)),
      );
    }
    return this.afterNearest(key, first);
  }

  async getMulti(keys: readonly string[]): Promise<Found[]> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  /** Most reads end at the nearest tier: that path allocates nothing and stays synchronous. */
  private afterNearest(key: string, stored: StoredValue | NoValue): Found | Promise<Found> {
    const nearest = this.decode(stored, key);
    if (!isNoValue(nearest) && this.isFresh(nearest)) return nearest;
    return this.readFrom(key, ReadWalk.from(this.tiers.length, nearest, stored));
  }

  private async readFrom(key: string, walk: ReadWalk): Promise<Found> {
    for (let index = 1; index < this.tiers.length; index++) {
      try {
        if (this.take(walk, index, await this.tiers[index]!.backend.get(key), key)) break;
      } catch (error) {
        walk.failed(index, error);
      }
    }
    return this.finish(walk, key);
  }

  private readSync(key: string): Found {
    let walk: ReadWalk;
    try {
      const stored = this.tiers[0]!.backend.getSync!(key);
      const nearest = this.decode(stored, key);
      if (!isNoValue(nearest) && this.isFresh(nearest)) return nearest;
      walk = ReadWalk.from(this.tiers.length, nearest, stored);
    } catch (error) {
      walk = ReadWalk.failedFirst(this.tiers.length, error);
    }
    for (let index = 1; index < this.tiers.length; index++) {
      try {
        if (this.take(walk, index, this.tiers[index]!.backend.getSync!(key), key)) break;
      } catch (error) {
        walk.failed(index, error);
      }
    }
    return this.finish(walk, key);
  }

  /** Notes one tier's answer; true when it is fresh, so no tier further out need be read. */
  private take(walk: ReadWalk, index: number, stored: StoredValue | NoValue, key: string): boolean {
    // The same bytes that failed to decode in a nearer tier are not decoded (and reported) again.
    const value = walk.isKnownUndecodable(stored) ? NO_VALUE : this.decode(stored, key);
    walk.saw(index, value, stored);
    return !isNoValue(value) && this.isFresh(value);
  }

  private finish(walk: ReadWalk, key: string): Found {
    // As a single backend would: the region fails open on an unreachable store, else rethrows.
    if (walk.errors.length === this.tiers.length) throw walk.errors[0];
    // The others answered: the failures are reported here rather than thrown.
    for (const error of walk.errors) this.reportFailure('get', key, error);
    const newest = walk.newest;
    if (isNoValue(newest)) return newest;
    // Copied into every nearer tier that held nothing or something older. Best effort: a failed
    // copy is reported and costs only a later read further out.
    let bytes: Uint8Array | undefined;
    const encoded = (): Uint8Array => (bytes ??= this.requireCodec().encode(newest));
    for (let index = 0; index < walk.newestAt; index++) {
      if (walk.createdAt[index]! < newest.metadata.ct) this.writeTier(this.tiers[index]!, key, newest, encoded);
    }
    return newest;
  }

  // Writes ------------------------------------------------------------------------------------

  /** Writes every tier, farthest first; a tier that fails is reported and the others still get the value. */
  async set(key: string, value: StoredValue): Promise<void> {
    const stored = this.storedPerTier(key, value);
    await this.onEveryTier('set', key, (tier) => tier.backend.set(key, stored(tier)));
  }

  async setMulti(entries: ReadonlyArray<readonly [string, StoredValue]>): Promise<void> {
    await Promise.all(entries.map(([key, value]) => this.set(key, value)));
  }

  async delete(key: string): Promise<void> {
    await this.onEveryTier('delete', key, (tier) => tier.backend.delete(key));
  }

  async deleteMulti(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.delete(key)));
  }

  private writeSync(key: string, value: StoredValue): void {
    const stored = this.storedPerTier(key, value);
    this.onEveryTierSync('set', key, (tier) => tier.backend.setSync!(key, stored(tier)));
  }

  private removeSync(key: string): void {
    this.onEveryTierSync('delete', key, (tier) => tier.backend.deleteSync!(key));
  }

  /** What each tier stores for a written value, the envelope made at most once. */
  private storedPerTier(key: string, value: StoredValue): (tier: Tier) => StoredValue {
    const cached = this.asCachedValue(key, value);
    let bytes: Uint8Array | undefined;
    const encoded = (): Uint8Array => (bytes ??= this.requireCodec().encode(cached));
    return (tier) => this.storedFor(tier, cached, encoded);
  }

  /** Runs `work` on every tier, farthest first; fails only when every tier failed (else reports). */
  private async onEveryTier(operation: string, key: string, work: (tier: Tier) => unknown): Promise<void> {
    const failures: unknown[] = [];
    await Promise.all(
      this.farthestFirst.map(async (tier) => {
        try {
          await work(tier);
        } catch (error) {
          failures.push(error);
        }
      }),
    );
    this.throwIfAllFailed(operation, key, failures);
  }

  private onEveryTierSync(operation: string, key: string, work: (tier: Tier) => void): void {
    const failures: unknown[] = [];
    for (const tier of this.farthestFirst) {
      try {
        work(tier);
      } catch (error) {
        failures.push(error);
      }
    }
    this.throwIfAllFailed(operation, key, failures);
  }

  /** Synchronously where the tier can, so the copy is visible to the tier's other users at once. */
  private writeTier(tier: Tier, key: string, value: CachedValue, encoded: () => Uint8Array): void {
    const stored = (): StoredValue => this.storedFor(tier, value, encoded);
    try {
      if (tier.backend.setSync !== undefined) {
        tier.backend.setSync(key, stored());
        return;
      }
      const done = tier.backend.set(key, stored());
      if (isThenable(done)) done.then(undefined, (error: unknown) => this.reportFailure('backfill', key, error));
    } catch (error) {
      this.reportFailure('backfill', key, error);
    }
  }

  // Lock --------------------------------------------------------------------------------------

  /** The chain of the tiers' locks; tiers without a lock of their own are left out of it. */
  getMutex(key: string): CacheMutex | undefined {
    const locks = this.tiers.flatMap((tier, index) => {
      const mutex = tier.backend.getMutex?.(key);
      if (mutex === null || mutex === undefined) return [];
      return [{ mutex, index }];
    });
    if (locks.length === 0) return undefined;
    const onFailure: TierFailure = (operation, error) => this.reportFailure(operation, key, error);
    const fresh = (stored: StoredValue | NoValue): boolean => {
      const value = this.decode(stored, key);
      return !isNoValue(value) && this.isFresh(value);
    };
    const following = {
      maxMs: Number.isFinite(this.lockTimeoutMs) ? this.lockTimeoutMs : DEFAULT_FOLLOW_MS,
      readThrough: () => this.get(key),
      track: (follow: Promise<void>) => {
        this.follows.add(follow);
        const done = (): void => void this.follows.delete(follow);
        follow.then(done, done);
      },
    };
    if (this.getSync !== undefined && locks.every(({ mutex }) => isSyncMutex(mutex))) {
      // Every tier answers synchronously: so do the fresh-value checks of the climb.
      const tierLocks = locks.map(({ mutex, index }) => ({ mutex, holdsFreshValue: () => fresh(this.tiers[index]!.backend.getSync!(key)) }));
      return new SyncTieredMutex(tierLocks, onFailure, following);
    }
    const tierLocks = locks.map(({ mutex, index }) => ({ mutex, holdsFreshValue: async () => fresh(await this.tiers[index]!.backend.get(key)) }));
    return new TieredMutex(tierLocks, onFailure, following);
  }

  /** Closes every tier, farthest first; every tier is closed even when one fails. */
  async close(): Promise<void> {
    // A follow holds nearer locks for the other callers of its thread, process or host; cut
    // short, it would let them go before the value it waits for could be read through.
    await Promise.allSettled([...this.follows]);
    const failures: unknown[] = [];
    for (const { backend } of this.farthestFirst) {
      try {
        await backend.close?.();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
  }

  // Helpers -----------------------------------------------------------------------------------

  /** Fresh for the region's own expiration time and invalidation; older is worth a look further out. */
  private isFresh(value: CachedValue): boolean {
    const createdAt = value.metadata.ct;
    if (createdAt < coarseNow() - this.expirationMs) return false;
    const invalidated = this.invalidationStore?.read();
    return invalidated === undefined || createdAt >= invalidated.at;
  }

  private decode(stored: StoredValue | NoValue, key: string): Found {
    if (stored === NO_VALUE) return NO_VALUE;
    if (stored instanceof Uint8Array) return this.requireCodec().decode(stored, key);
    return stored;
  }

  /**
   * Byte-storing tiers get the envelope; when it is made anyway, so do tiers that encode values
   * themselves (`useCodec`), which then need not encode the same value again.
   */
  private storedFor(tier: Tier, value: CachedValue, bytes: () => Uint8Array): StoredValue {
    if (tier.backend.serialized === true) return bytes();
    return this.encodesOnce && tier.backend.useCodec !== undefined ? bytes() : value;
  }

  private asCachedValue(key: string, value: StoredValue): CachedValue {
    if (value instanceof Uint8Array) {
      const decoded = this.requireCodec().decode(value, key);
      if (isNoValue(decoded)) throw new ValidationError(`tiered backend: set(${JSON.stringify(key)}) got bytes that are not an entry.`);
      return decoded;
    }
    return value;
  }

  private requireCodec(): ValueCodec {
    if (this.codec === undefined) {
      throw new DogpileCacheError('tiered backend: it encodes values for its byte-storing tiers with its region’s codec; use it through a region.');
    }
    return this.codec;
  }

  private throwIfAllFailed(operation: string, key: string, failures: unknown[]): void {
    if (failures.length === 0) return;
    if (failures.length === this.tiers.length) throw failures[0];
    for (const error of failures) this.reportFailure(operation, key, error);
  }

  private reportFailure(operation: string, key: string, error: unknown): void {
    this.sink({ type: 'backendError', operation: `tiered ${operation}`, key, error });
  }
}

export type { TieredBackendOptions };

/** Constructor argument carrying tiers already built (by `attach`), never user-visible. */
const ATTACHED = Symbol('attached tiers');

function openTiers(args: BackendArguments): Tier[] {
  const attached = (args as Record<symbol, unknown>)[ATTACHED];
  if (attached !== undefined) return attached as Tier[];
  const resolved = resolveTiers(args);
  const opened: Tier[] = [];
  try {
    for (const tier of resolved) opened.push({ name: tier.name, backend: new tier.backendClass({ ...tier.args }) });
  } catch (error) {
    for (const { backend } of opened) void Promise.resolve(backend.close?.()).catch(() => {});
    throw error;
  }
  return opened;
}

/** What one read found in each tier it looked at. */
class ReadWalk {
  newest: Found = NO_VALUE;
  /** The tier the newest value came from. */
  newestAt = -1;
  readonly errors: unknown[] = [];
  /** Bytes a nearer tier held that did not decode. */
  private undecodable: Uint8Array | undefined;
  /** Per tier read: the creation time of what it held; -Infinity for nothing, Infinity for a failed read (never copied into). */
  readonly createdAt: number[];

  constructor(tiers: number) {
    this.createdAt = new Array<number>(tiers).fill(Number.POSITIVE_INFINITY);
  }

  /** A walk that already read the nearest tier. */
  static from(tiers: number, nearest: Found, stored: StoredValue | NoValue): ReadWalk {
    const walk = new ReadWalk(tiers);
    walk.saw(0, nearest, stored);
    return walk;
  }

  /** A walk whose read of the nearest tier failed. */
  static failedFirst(tiers: number, error: unknown): ReadWalk {
    const walk = new ReadWalk(tiers);
    walk.failed(0, error);
    return walk;
  }

  saw(index: number, value: Found, stored: StoredValue | NoValue): void {
    if (isNoValue(value)) {
      this.createdAt[index] = Number.NEGATIVE_INFINITY;
      if (stored instanceof Uint8Array) this.undecodable = stored;
      return;
    }
    this.createdAt[index] = value.metadata.ct;
    if (isNoValue(this.newest) || value.metadata.ct > this.newest.metadata.ct) {
      this.newest = value;
      this.newestAt = index;
    }
  }

  isKnownUndecodable(stored: StoredValue | NoValue): boolean {
    return this.undecodable !== undefined && stored instanceof Uint8Array && Buffer.compare(this.undecodable, stored) === 0;
  }

  failed(index: number, error: unknown): void {
    this.errors.push(error);
    this.createdAt[index] = Number.POSITIVE_INFINITY;
  }
}
