import type { CacheMutex, MaybePromise, StatsStore, SyncCacheMutex } from '../backends/api.js';
import { isSyncMutex, isThenable } from '../backends/api.js';
import { LockTimeoutError } from '../errors.js';
import { joinWithin, runLock, runLockSync, type LockProtocol, type SingleFlight } from '../lock/index.js';
import { now } from '../time.js';
import type { CachedValue } from '../values.js';
import { CreatorReturnedPromise } from './creator-returned-promise.js';
import { isFresh, judge } from './freshness.js';
import type { RegionInvalidationStrategy } from './invalidation.js';
import type { AsyncCreationRunner, GetOrCreateOptions, PolicyOptions, ResolvedPolicy } from './options.js';
import type { CacheRegion } from './region.js';
import type { Decoded, RegionStore } from './store.js';

export type Creator<T, A extends unknown[]> = (...args: A) => T | Promise<T>;

/** What creating values needs from its region; read afresh on each use (a region can be reconfigured). */
export interface CreationHost {
  readonly region: CacheRegion;
  readonly store: RegionStore;
  readonly counters: StatsStore;
  readonly invalidator: RegionInvalidationStrategy;
  readonly runner: AsyncCreationRunner | undefined;
  readonly flights: SingleFlight;
  readonly backendName: string | undefined;
  mutexFor(mangled: string): CacheMutex;
  policyFor(options: PolicyOptions | undefined): ResolvedPolicy;
  emitCreatorError(key: string, error: unknown): void;
  emitLockTimeout(key: string, timeoutMs: number): void;
  /** Work that outlives its caller (a background refresh); `close()` lets it finish first. */
  trackBackground(work: Promise<unknown>): void;
}

/** One `getOrCreate` or `getOrCreateSync` call past its first read. */
export class KeyCreation<T, A extends unknown[]> {
  constructor(
    private readonly host: CreationHost,
    private readonly key: string,
    private readonly mangled: string,
    private readonly creator: Creator<T, A>,
    private readonly options: GetOrCreateOptions<T, A> | undefined,
    private readonly expirationMs: number,
  ) {}

  /**
   * The async path: a fresh value is served; a caller that finds this thread already creating
   * the key is served the stale value or joins that creation; otherwise it runs the lock.
   */
  serve(entry: Decoded): Promise<T> {
    const { host, mangled } = this;
    if (isFresh(entry, this.expirationMs, host.invalidator)) {
      host.counters.increment('hits');
      return Promise.resolve((entry as CachedValue<T>).payload);
    }
    const first = judge<T>(entry, this.expirationMs, host.invalidator);
    const inflight = host.flights.get<T>(mangled);
    if (inflight !== undefined) {
      if (first.state === 'stale') {
        host.counters.increment('staleServed');
        return Promise.resolve(first.value);
      }
      host.counters.increment('misses');
      return this.join(inflight);
    }
    if (first.state === 'missing') host.counters.increment('misses');
    const creation = runLock(this.lock(false), first);
    host.flights.track(mangled, creation);
    return creation;
  }

  /** The sync path; throws {@link CreatorReturnedPromise} when the creator turns out to be async. */
  serveSync(entry: Decoded): T {
    const { host } = this;
    if (isFresh(entry, this.expirationMs, host.invalidator)) {
      host.counters.increment('hits');
      return (entry as CachedValue<T>).payload;
    }
    const first = judge<T>(entry, this.expirationMs, host.invalidator);
    if (first.state === 'missing') host.counters.increment('misses');
    if (host.flights.has(this.mangled)) {
      // An async creation of this key is under way in this thread; a synchronous caller cannot
      // wait for it without blocking the very thread that has to finish it.
      if (first.state === 'stale') {
        host.counters.increment('staleServed');
        return first.value;
      }
      return this.createSync();
    }
    return runLockSync(this.lock(true), first);
  }

  /** Waits for this thread's creation of the same key; when it fails, this caller tries again itself. */
  private async join(inflight: Promise<T>): Promise<T> {
    const { host } = this;
    host.counters.increment('lockWaits');
    const policy = host.policyFor(this.options);
    const outcome = await joinWithin(inflight, policy.lockTimeoutMs);
    if (outcome.settled === 'value') return outcome.value;
    if (outcome.settled === 'failed') return this.serve(await host.store.read(this.mangled));
    timedOut(host, this.key, policy);
    return this.create();
  }

  private lock(sync: boolean): LockProtocol<T> {
    const { host, key, mangled, expirationMs } = this;
    const store = host.store;
    const policy = host.policyFor(this.options);
    const mutex = sync ? this.syncMutex() : host.mutexFor(mangled);
    const timeoutMs = policy.lockTimeoutMs;
    return {
      key,
      timeoutMs,
      onTimeout: policy.onLockTimeout,
      read: sync
        ? () => judge<T>(store.readSync(mangled), expirationMs, host.invalidator)
        : () => {
            const found = store.read(mangled);
            return isThenable<Decoded>(found)
              ? Promise.resolve(found).then((entry) => judge<T>(entry, expirationMs, host.invalidator))
              : judge<T>(found, expirationMs, host.invalidator);
          },
      acquire: sync
        ? (wait) => store.guard('lock', mangled, () => (mutex as SyncCacheMutex).acquireSync(wait, timeoutMs), true)
        : (wait) => store.guard('lock', mangled, () => mutex.acquire(wait, timeoutMs), true),
      release: sync
        ? () => store.guard('unlock', mangled, () => (mutex as SyncCacheMutex).releaseSync(), undefined)
        : () => store.guard('unlock', mangled, () => mutex.release(), undefined),
      create: sync ? () => this.createSync() : () => this.create(),
      handOff: this.handOff(mutex, policy),
      onStaleServed: () => host.counters.increment('staleServed'),
      onServedAfterWait: () => host.counters.increment('lockWaits'),
      onTimedOut: () => {
        host.counters.increment('lockTimeouts');
        host.emitLockTimeout(key, timeoutMs);
      },
    };
  }

  private syncMutex(): SyncCacheMutex {
    const mutex = this.host.mutexFor(this.mangled);
    if (!isSyncMutex(mutex)) {
      throw new TypeError(
        `The ${JSON.stringify(this.host.backendName)} backend's lock cannot be taken synchronously; use getOrCreate instead of getOrCreateSync.`,
      );
    }
    return mutex;
  }

  /** How a caller that won the lock over a stale value passes the creation on, if it does. */
  private handOff(mutex: CacheMutex, policy: ResolvedPolicy): (() => void) | undefined {
    const { host, key, creator } = this;
    const runner = host.runner;
    if (runner !== undefined) {
      const args = (this.options?.creatorArgs ?? []) as A;
      return () => {
        try {
          runner(host.region, key, () => creator(...args), mutex);
        } catch (error) {
          void Promise.resolve(host.store.guard('unlock', this.mangled, () => mutex.release(), undefined)).catch(() => {});
          host.emitCreatorError(key, error);
        }
      };
    }
    if (!policy.backgroundRefresh) return undefined;
    return () => {
      const refresh = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        try {
          await this.create();
        } catch (error) {
          host.emitCreatorError(key, error);
        }
        try {
          await host.store.guard('unlock', this.mangled, () => mutex.release(), undefined);
        } catch (error) {
          // Nobody awaits a background refresh: a failed release is an event, never a crash.
          host.region.emit('backendError', { operation: 'unlock', key, error });
        }
      });
      host.trackBackground(refresh);
    };
  }

  /** Runs the creator and stores what it made (unless `shouldCacheFn` says no). */
  create(): MaybePromise<T> {
    const created = this.callCreator();
    if (!isThenable<T>(created)) return this.store(created);
    return Promise.resolve(created).then(
      (value) => this.store(value),
      (error: unknown) => {
        this.host.counters.increment('creatorErrors');
        throw error;
      },
    );
  }

  createSync(): T {
    const created = this.callCreator();
    if (isThenable<T>(created)) throw new CreatorReturnedPromise(created);
    const stored = this.store(created, true);
    return stored as T;
  }

  private callCreator(): T | Promise<T> {
    try {
      return this.creator(...((this.options?.creatorArgs ?? []) as A));
    } catch (error) {
      this.host.counters.increment('creatorErrors');
      throw error;
    }
  }

  private store(value: T, sync = false): MaybePromise<T> {
    const { host, options } = this;
    host.counters.increment('creations');
    if (options?.shouldCacheFn !== undefined && !options.shouldCacheFn(value)) return value;
    const encoded = host.store.encode(value, now());
    if (sync) {
      host.store.writeSync(this.mangled, encoded);
      return value;
    }
    const written = host.store.write(this.mangled, encoded);
    return isThenable<void>(written) ? Promise.resolve(written).then(() => value) : value;
  }
}

/** Counts and reports a timed-out wait; throws unless the policy says to create anyway. */
export function timedOut(host: CreationHost, key: string, policy: ResolvedPolicy): void {
  host.counters.increment('lockTimeouts');
  host.emitLockTimeout(key, policy.lockTimeoutMs);
  if (policy.onLockTimeout === 'error') throw new LockTimeoutError(key, policy.lockTimeoutMs);
}
