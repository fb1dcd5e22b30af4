import { EventEmitter } from 'node:events';
import type { BackendEvent, CacheBackend, CacheBackendClass, CacheMutex, CacheStats, StatsStore, StoredValue } from '../backends/api.js';
import { isSyncMutex } from '../backends/api.js';
import { isBackendClass, lookupBackend, registeredNameOf, resolveLoader } from '../backends/registry.js';
import { RegionAlreadyConfigured, RegionNotConfigured, ValidationError } from '../errors.js';
import { joinWithin, LocalMutexRegistry, SingleFlight } from '../lock/index.js';
import { ProxyBackend, innermostBackend, supportsSync } from '../proxy.js';
import type { Deserializer, Serializer } from '../serialization/codec.js';
import { describe, now, parseDuration } from '../time.js';
import { NO_VALUE, type CachedValue, type NoValue } from '../values.js';
import { EntryCodec } from './codec.js';
import { readConfigSection } from './config.js';
import { KeyCreation, type CreationHost, type Creator } from './creation.js';
import { CreatorReturnedPromise } from './creator-returned-promise.js';
import {
  cacheMultiOnArguments,
  cacheOnArguments,
  type CachedMultiFunction,
  type CacheMultiOnArgumentsOptions,
  type CacheOnArgumentsDecorator,
  type CacheOnArgumentsOptions,
} from './decorators.js';
import { isFresh, visible } from './freshness.js';
import { DefaultInvalidationStrategy, type RegionInvalidationStrategy } from './invalidation.js';
import { functionKeyGenerator, functionMultiKeyGenerator, type FunctionKeyGenerator, type FunctionMultiKeyGenerator, type KeyMangler } from './keys.js';
import { getOrCreateMany } from './multi.js';
import {
  readBoolean,
  readFunction,
  resolvePolicy,
  type AsyncCreationRunner,
  type ConfigureOptions,
  type GetOptions,
  type GetOrCreateMultiOptions,
  type GetOrCreateOptions,
  type PolicyOptions,
  type RegionOptions,
  type ResolvedPolicy,
} from './options.js';
import { BatchedHitStats, LocalStats } from './stats.js';
import { RegionStore, type Decoded } from './store.js';

/** Events a region emits; none of them is required to have a listener. */
export interface RegionEvents {
  /** Stored bytes could not be decoded; the read was a miss. */
  deserializeError: [{ key: string; error: unknown }];
  /** A creator running in the background (`backgroundRefresh`, async runner) failed. */
  creatorError: [{ key: string; error: unknown }];
  /** A lock's lease ran out before its holder released it. */
  lockLost: [{ key: string; detail?: string }];
  /** The backend was unreachable; with `failOpen` the operation went on as a miss. */
  backendError: [{ operation: string; key?: string; error: unknown }];
  /** A wait for another caller's creation ran out. */
  lockTimeout: [{ key: string; timeoutMs: number }];
  /** The backend evicted entries to stay within its bounds. */
  eviction: [{ count: number }];
}

export const REGION_HANDLE_KIND = 'dogpile-cache/region@1';

/** What `share()` returns: plain data, safe to post to a worker thread. */
export interface RegionHandle {
  readonly kind: typeof REGION_HANDLE_KIND;
  readonly name: string | undefined;
  readonly backend: string;
  readonly backendHandle: unknown;
  readonly policy: ResolvedPolicy;
  readonly failOpen: boolean;
}

/** What an `asDict` multi function returns: values keyed by argument. */
export type MultiMapping<K, V> = Map<K, V> | Record<string, V>;


/**
 * A cache region: one backend, its expiration policy and key handling, and the dogpile lock.
 * Create one with {@link makeRegion} and give it a backend with {@link CacheRegion.configure}.
 */
export class CacheRegion extends EventEmitter<RegionEvents> {
  readonly name: string | undefined;
  readonly functionKeyGenerator: FunctionKeyGenerator;
  readonly functionMultiKeyGenerator: FunctionMultiKeyGenerator;
  readonly asyncCreationRunner: AsyncCreationRunner | undefined;
  /** Applied to every key before the backend sees it. */
  keyMangler: KeyMangler | undefined;
  /** Decides what `invalidate()` made invalid. */
  regionInvalidator: RegionInvalidationStrategy = new DefaultInvalidationStrategy();

  private readonly serializer: Serializer | undefined;
  private readonly deserializer: Deserializer | undefined;
  private store: RegionStore | undefined;
  private inner: CacheBackend | undefined;
  private backendName: string | undefined;
  private loading: Promise<void> | undefined;
  private configuredPolicy: ResolvedPolicy = resolvePolicy({});
  private counters: StatsStore = new LocalStats();
  private failOpen = true;
  private syncCapable = false;
  private localLocks = new LocalMutexRegistry();
  private readonly flights = new SingleFlight();
  /** Background refreshes still running; `close()` waits for them. */
  private readonly background = new Set<Promise<unknown>>();
  private configureGeneration = 0;
  private readonly host: CreationHost;

  constructor(options: RegionOptions = {}) {
    super();
    this.name = options.name;
    this.functionKeyGenerator = readFunction<FunctionKeyGenerator>(options.functionKeyGenerator, 'functionKeyGenerator') ?? functionKeyGenerator;
    this.functionMultiKeyGenerator =
      readFunction<FunctionMultiKeyGenerator>(options.functionMultiKeyGenerator, 'functionMultiKeyGenerator') ?? functionMultiKeyGenerator;
    this.keyMangler = readFunction<KeyMangler>(options.keyMangler, 'keyMangler');
    this.serializer = readFunction<Serializer>(options.serializer, 'serializer');
    this.deserializer = readFunction<Deserializer>(options.deserializer, 'deserializer');
    this.asyncCreationRunner = readFunction<AsyncCreationRunner>(options.asyncCreationRunner, 'asyncCreationRunner');
    const region = this;
    this.host = {
      region,
      get store() {
        return region.requireStore();
      },
      get counters() {
        return region.counters;
      },
      get invalidator() {
        return region.regionInvalidator;
      },
      get runner() {
        return region.asyncCreationRunner;
      },
      get backendName() {
        return region.backendName;
      },
      flights: this.flights,
      mutexFor: (mangled) => this.mutexFor(mangled),
      policyFor: (options) => this.policyFor(options),
      emitCreatorError: (key, error) => this.emit('creatorError', { key, error }),
      emitLockTimeout: (key, timeoutMs) => this.emit('lockTimeout', { key, timeoutMs }),
      trackBackground: (work) => {
        this.background.add(work);
        const done = (): void => void this.background.delete(work);
        work.then(done, done);
      },
    };
  }

  // ---------------------------------------------------------------- configuration

  /**
   * Gives the region its backend, by registered name. Options are validated here, so a bad value
   * fails now rather than at first use. The `arguments` object is never mutated.
   */
  configure(backend: string | CacheBackend, options: ConfigureOptions = {}): this {
    if (this.store !== undefined || this.loading !== undefined) {
      if (options.replaceExistingBackend !== true) {
        throw new RegionAlreadyConfigured(
          `This region is already configured with backend: ${this.backendName}. Specify replaceExistingBackend: true to replace.`,
        );
      }
    }
    const policy = resolvePolicy(options);
    const failOpen = readBoolean(options.failOpen, 'failOpen', true);
    const args = options.arguments ?? {};
    if (args === null || typeof args !== 'object') throw new ValidationError(`arguments must be an object; got ${describe(args)}.`);
    const proxies = (options.wrap ?? []).map((proxy) => toProxy(proxy));
    const invalidator = options.regionInvalidator;
    if (invalidator !== undefined && typeof invalidator.isInvalidated !== 'function') {
      throw new ValidationError('regionInvalidator must implement RegionInvalidationStrategy (invalidate, isInvalidated, isHardInvalidated, ...).');
    }
    if (typeof backend === 'object' && backend !== null && typeof backend.get === 'function') {
      if (options.arguments !== undefined) throw new ValidationError('arguments are for backends given by name; this backend is already constructed.');
      ++this.configureGeneration;
      this.loading = undefined;
      this.install(registeredNameOf(backend) ?? backend.constructor.name, backend, proxies, policy, failOpen, invalidator);
      return this;
    }
    if (typeof backend !== 'string') throw new ValidationError(`configure() takes a backend name or instance; got ${describe(backend)}.`);
    const found = lookupBackend(backend);
    const install = (backendClass: CacheBackendClass): void => {
      this.install(backend, new backendClass({ ...args }), proxies, policy, failOpen, invalidator);
    };
    const generation = ++this.configureGeneration;
    if (isBackendClass(found)) {
      this.loading = undefined;
      install(found);
    } else {
      this.backendName = backend;
      const loading = resolveLoader(backend, found).then((backendClass) => {
        // A later configure() replaced this one while the module loaded.
        if (generation === this.configureGeneration) install(backendClass);
      });
      this.loading = loading;
      loading.then(
        () => {
          if (this.loading === loading) this.loading = undefined;
        },
        () => {},
      );
    }
    return this;
  }

  /**
   * Configures from a flat object such as an INI section: `<prefix>backend`,
   * `<prefix>expiration_time`, `<prefix>arguments.<name>` (also `lock_timeout`,
   * `on_lock_timeout`, `background_refresh`, `fail_open`, `replace_existing_backend`). Strings are coerced:
   * integers, floats, `true`/`false`, `None`/`null`.
   */
  configureFromConfig(config: Readonly<Record<string, unknown>>, prefix: string): this {
    const section = readConfigSection(config, prefix);
    if (typeof section.backend !== 'string') {
      throw new ValidationError(`configureFromConfig: ${prefix}backend must name a backend; got ${describe(section.backend)}.`);
    }
    const options: ConfigureOptions = { arguments: section.arguments };
    if (section.expirationTime !== null && section.expirationTime !== undefined) options.expirationTime = section.expirationTime as ConfigureOptions['expirationTime'];
    if (section.lockTimeout !== null && section.lockTimeout !== undefined) options.lockTimeout = section.lockTimeout as ConfigureOptions['lockTimeout'];
    if (section.onLockTimeout !== null && section.onLockTimeout !== undefined) options.onLockTimeout = section.onLockTimeout as ConfigureOptions['onLockTimeout'];
    if (section.backgroundRefresh !== null && section.backgroundRefresh !== undefined) options.backgroundRefresh = section.backgroundRefresh as boolean;
    if (section.failOpen !== null && section.failOpen !== undefined) options.failOpen = section.failOpen as boolean;
    if (section.replaceExistingBackend !== null && section.replaceExistingBackend !== undefined) {
      options.replaceExistingBackend = section.replaceExistingBackend as boolean;
    }
    return this.configure(section.backend, options);
  }

  /** Resolves once a backend registered with an async loader has loaded (at once otherwise). */
  get ready(): Promise<void> {
    return this.loading ?? Promise.resolve();
  }

  /** Whether the region has a backend. */
  get isConfigured(): boolean {
    return this.store !== undefined || this.loading !== undefined;
  }

  /** The backend the region talks to: the outermost proxy when wrapped. */
  get backend(): CacheBackend {
    return this.requireBackend();
  }

  /** The backend under every proxy, following later `wrap()` calls. */
  get actualBackend(): CacheBackend {
    return innermostBackend(this.requireBackend());
  }

  /** The registered name of the backend, once configured. */
  get backendType(): string | undefined {
    return this.backendName;
  }

  /** The region's policy with durations in milliseconds (`Infinity` = never). */
  get policy(): ResolvedPolicy {
    return this.configuredPolicy;
  }

  /** Whether the backend answers synchronously, so the `*Sync` methods can be used. */
  get supportsSync(): boolean {
    return this.store !== undefined && this.syncCapable;
  }

  /**
   * A structured-cloneable handle for another thread (e.g. Piscina `workerData`), which
   * `attachRegion(handle)` turns into a region over the same shared storage and policy.
   */
  share(): RegionHandle {
    const backend = this.actualBackend;
    if (typeof backend.share !== 'function') {
      throw new TypeError(
        `share(): the ${JSON.stringify(this.backendName)} backend keeps its data in this thread; use a shared backend such as 'shared-memory', 'lmdb', 'file' or 'redis'.`,
      );
    }
    return {
      kind: REGION_HANDLE_KIND,
      name: this.name,
      backend: this.backendName!,
      backendHandle: backend.share(),
      policy: { ...this.configuredPolicy },
      failOpen: this.failOpen,
    };
  }

  /** Wraps the current backend (and any proxies) in another proxy, which becomes outermost. */
  wrap(proxy: ProxyBackend | (new () => ProxyBackend)): this {
    const instance = toProxy(proxy);
    const store = this.requireStore();
    this.store = new RegionStore(instance.wrap(store.backend), store.codec, this.counters, this.failOpen, this.reportBackendError);
    this.syncCapable = supportsSync(this.store.backend);
    return this;
  }

  private install(
    name: string,
    backend: CacheBackend,
    proxies: ProxyBackend[],
    policy: ResolvedPolicy,
    failOpen: boolean,
    invalidator: RegionInvalidationStrategy | undefined,
  ): void {
    const previous = this.inner;
    let outer: CacheBackend = backend;
    for (const proxy of [...proxies].reverse()) outer = proxy.wrap(outer);
    this.backendName = name;
    this.configuredPolicy = policy;
    this.failOpen = failOpen;
    this.counters = backend.statsStore === undefined ? new LocalStats() : new BatchedHitStats(backend.statsStore);
    const codec = this.makeCodec(
      outer.serialized === true || (this.serializer !== undefined && backend.useCodec === undefined),
      backend.freshCopies !== true,
    );
    backend.useCodec?.(codec);
    backend.useRegionOptions?.({ expirationTimeMs: policy.expirationMs, lockTimeoutMs: policy.lockTimeoutMs });
    // Backends report from inside their operations and timers: a listener that throws must not
    // break the operation or the timer that raised the event.
    backend.setEventSink?.((event) => {
      try {
        this.onBackendEvent(event);
      } catch {
        // The listener's failure is the listener's.
      }
    });
    if (invalidator !== undefined) this.regionInvalidator = invalidator;
    if (this.regionInvalidator instanceof DefaultInvalidationStrategy) this.regionInvalidator.useStore(backend.invalidationStore);
    this.localLocks = new LocalMutexRegistry();
    this.inner = backend;
    this.store = new RegionStore(outer, codec, this.counters, failOpen, this.reportBackendError);
    this.syncCapable = supportsSync(outer);
    if (previous !== undefined && previous !== backend) void this.closeBackend(previous);
  }

  private readonly reportBackendError = (operation: string, key: string | undefined, error: unknown): void => {
    this.emit('backendError', key === undefined ? { operation, error } : { operation, key, error });
  };

  private makeCodec(storesBytes: boolean, reuseDecoded: boolean): EntryCodec {
    const onFailure = (key: string, error: unknown): void => {
      this.counters.increment('deserializeErrors');
      this.emit('deserializeError', { key, error });
    };
    return new EntryCodec(storesBytes, this.serializer, this.deserializer, onFailure, reuseDecoded);
  }

  private onBackendEvent(event: BackendEvent): void {
    switch (event.type) {
      case 'eviction':
        this.counters.increment('evictions', event.count);
        this.emit('eviction', { count: event.count });
        break;
      case 'lockLost':
        this.emit('lockLost', event.detail === undefined ? { key: event.key } : { key: event.key, detail: event.detail });
        break;
      case 'backendError':
        this.counters.increment('backendErrors');
        this.emit('backendError', { operation: event.operation, ...(event.key === undefined ? {} : { key: event.key }), error: event.error });
        break;
    }
  }

  private requireStore(): RegionStore {
    const store = this.store;
    if (store !== undefined) return store;
    if (this.loading !== undefined) {
      throw new RegionNotConfigured(`The backend ${JSON.stringify(this.backendName)} of this region is still loading; await region.ready first.`);
    }
    throw new RegionNotConfigured('No backend is configured on this region; call configure(backendName, options) first.');
  }

  private requireBackend(): CacheBackend {
    return this.requireStore().backend;
  }

  /** The store for a synchronous call: the hit path's two checks, then the explanatory errors. */
  private syncStore(method: string): RegionStore {
    const store = this.store;
    return store !== undefined && this.syncCapable ? store : this.requireSyncStore(method);
  }

  private requireSyncStore(method: string): RegionStore {
    const store = this.requireStore();
    if (!this.syncCapable) {
      throw new TypeError(
        `${method}: the ${JSON.stringify(this.backendName)} backend cannot answer synchronously; use the async method instead.`,
      );
    }
    return store;
  }

  private mangle(key: string): string {
    if (typeof key !== 'string') throw new TypeError(`Cache keys are strings; got ${describe(key)}.`);
    const mangler = this.keyMangler;
    return mangler === undefined ? key : mangler(key);
  }

  private expirationFor(options: { expirationTime?: unknown } | undefined): number {
    if (options === undefined || options.expirationTime === undefined) return this.configuredPolicy.expirationMs;
    return typeof options.expirationTime === 'number' && options.expirationTime >= 0
      ? options.expirationTime
      : parseDuration(options.expirationTime, 'expirationTime');
  }

  private policyFor(options: PolicyOptions | undefined): ResolvedPolicy {
    return options === undefined ||
      (options.lockTimeout === undefined && options.onLockTimeout === undefined && options.backgroundRefresh === undefined)
      ? this.configuredPolicy
      : resolvePolicy({ ...options, expirationTime: undefined }, this.configuredPolicy);
  }

  private mutexFor(mangled: string): CacheMutex {
    return this.requireBackend().getMutex?.(mangled) ?? this.localLocks.get(mangled);
  }

  /**
   * The creation lock `getOrCreate` uses for `key` (mangled first): the backend's own, or the
   * region's in-thread lock for backends without one.
   */
  getMutex(key: string): CacheMutex {
    return this.mutexFor(this.mangle(key));
  }

  /** What `get` and friends return for a decoded entry, counted as a hit or a miss. */
  private visibleEntry(entry: Decoded, options: GetOptions | undefined): Decoded {
    const shown = visible(entry, this.expirationFor(options), options?.ignoreExpiration === true, this.regionInvalidator);
    this.counters.increment(shown === NO_VALUE ? 'misses' : 'hits');
    return shown;
  }

  private payloadOf<T>(entry: Decoded, options: GetOptions | undefined): T | NoValue {
    const shown = this.visibleEntry(entry, options);
    return shown === NO_VALUE ? NO_VALUE : (shown as CachedValue<T>).payload;
  }

  private metadataOf<T>(entry: Decoded, options: GetOptions | undefined): CachedValue<T> | undefined {
    const shown = this.visibleEntry(entry, options);
    return shown === NO_VALUE ? undefined : (shown as CachedValue<T>);
  }

  // ---------------------------------------------------------------- reads

  /** The value for `key`, or `NO_VALUE` when it is missing, expired, invalidated or undecodable. */
  get<T = unknown>(key: string, options?: GetOptions): Promise<T | NoValue> {
    // Not an async function: a hit must not pay for extra promise turns.
    try {
      if (this.loading !== undefined) return this.loading.then(() => this.get<T>(key, options));
      const found = this.requireStore().read(this.mangle(key));
      if (found instanceof Promise) return found.then((entry: Decoded) => this.payloadOf<T>(entry, options));
      return Promise.resolve(this.payloadOf<T>(found, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `get`, answered synchronously; for backends that can (memory, shared-memory, lmdb, file, null). */
  getSync<T = unknown>(key: string, options?: GetOptions): T | NoValue {
    const entry = this.syncStore('getSync').readSync(this.mangle(key));
    if (options === undefined && isFresh(entry, this.configuredPolicy.expirationMs, this.regionInvalidator)) {
      this.counters.increment('hits');
      return (entry as CachedValue<T>).payload;
    }
    return this.payloadOf<T>(entry, options);
  }

  /** Values for `keys`, aligned with them, `NO_VALUE` where there is none. */
  async getMulti<T = unknown>(keys: readonly string[], options?: GetOptions): Promise<Array<T | NoValue>> {
    if (this.loading !== undefined) await this.loading;
    const store = this.requireStore();
    if (keys.length === 0) return [];
    const entries = await store.readMany(keys.map((key) => this.mangle(key)));
    return entries.map((entry) => this.payloadOf<T>(entry, options));
  }

  getMultiSync<T = unknown>(keys: readonly string[], options?: GetOptions): Array<T | NoValue> {
    const store = this.requireSyncStore('getMultiSync');
    if (keys.length === 0) return [];
    return store.readManySync(keys.map((key) => this.mangle(key))).map((entry) => this.payloadOf<T>(entry, options));
  }

  /** The value with its metadata (`cachedTime`, `age`), or `undefined` where `get` would give `NO_VALUE`. */
  async getValueMetadata<T = unknown>(key: string, options?: GetOptions): Promise<CachedValue<T> | undefined> {
    if (this.loading !== undefined) await this.loading;
    return this.metadataOf<T>(await this.requireStore().read(this.mangle(key)), options);
  }

  getValueMetadataSync<T = unknown>(key: string, options?: GetOptions): CachedValue<T> | undefined {
    return this.metadataOf<T>(this.requireSyncStore('getValueMetadataSync').readSync(this.mangle(key)), options);
  }

  // ---------------------------------------------------------------- writes

  /** Stores `value` under `key`, created now. */
  async set(key: string, value: unknown): Promise<void> {
    if (this.loading !== undefined) await this.loading;
    const store = this.requireStore();
    await store.write(this.mangle(key), store.encode(value, now()));
  }

  setSync(key: string, value: unknown): void {
    const store = this.requireSyncStore('setSync');
    store.writeSync(this.mangle(key), store.encode(value, now()));
  }

  /** Stores many values with one creation time; takes a `Map` or a plain object. */
  async setMulti(entries: ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>): Promise<void> {
    if (this.loading !== undefined) await this.loading;
    const store = this.requireStore();
    await store.writeMany(this.encodeEntries(store, entries));
  }

  setMultiSync(entries: ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>): void {
    const store = this.requireSyncStore('setMultiSync');
    store.writeManySync(this.encodeEntries(store, entries));
  }

  private encodeEntries(store: RegionStore, entries: ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>): Array<readonly [string, StoredValue]> {
    const pairs = entries instanceof Map ? [...entries] : Object.entries(entries);
    const createdAt = now();
    return pairs.map(([key, value]) => [this.mangle(key), store.encode(value, createdAt)] as const);
  }

  /** Removes `key`; removing a missing key is not an error. */
  async delete(key: string): Promise<void> {
    if (this.loading !== undefined) await this.loading;
    await this.requireStore().remove(this.mangle(key));
  }

  deleteSync(key: string): void {
    this.requireSyncStore('deleteSync').removeSync(this.mangle(key));
  }

  async deleteMulti(keys: readonly string[]): Promise<void> {
    if (this.loading !== undefined) await this.loading;
    const store = this.requireStore();
    await store.removeMany(keys.map((key) => this.mangle(key)));
  }

  deleteMultiSync(keys: readonly string[]): void {
    const store = this.requireSyncStore('deleteMultiSync');
    store.removeManySync(keys.map((key) => this.mangle(key)));
  }

  // ---------------------------------------------------------------- the dogpile lock

  /**
   * The value for `key`; when it is missing or stale, exactly one caller runs `creator` and stores
   * its result. Concurrent callers get the stale value at once, or, when there is none, wait
   * (at most `lockTimeout`) for that one creation.
   */
  getOrCreate<T, A extends unknown[] = []>(key: string, creator: Creator<T, A>, options?: GetOrCreateOptions<T, A>): Promise<T> {
    // Not an async function: a hit must not pay for extra promise turns.
    try {
      if (this.loading !== undefined) return this.loading.then(() => this.getOrCreate(key, creator, options));
      const store = this.requireStore();
      const mangled = this.mangle(key);
      const expirationMs = this.expirationFor(options);
      const found = store.read(mangled);
      // The store hands back a native promise whenever the backend answered asynchronously.
      if (found instanceof Promise) {
        return found.then((entry: Decoded) => {
          // A hit returns the payload itself: returning a promise from here would cost extra turns.
          if (!isFresh(entry, expirationMs, this.regionInvalidator)) {
            return new KeyCreation(this.host, key, mangled, creator, options, expirationMs).serve(entry);
          }
          this.counters.increment('hits');
          return (entry as CachedValue<T>).payload;
        });
      }
      if (isFresh(found, expirationMs, this.regionInvalidator)) {
        this.counters.increment('hits');
        return (found as CachedValue<T>).settled();
      }
      return new KeyCreation(this.host, key, mangled, creator, options, expirationMs).serve(found);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * `getOrCreate` for synchronous creators on sync-capable backends: the lock wait blocks the
   * thread (bounded by `lockTimeout`), which is what CPU-bound memoization in workers wants.
   */
  getOrCreateSync<T, A extends unknown[] = []>(key: string, creator: (...args: A) => T, options?: GetOrCreateOptions<T, A>): T {
    try {
      return this.getOrCreateSyncOrPromise(key, creator, options);
    } catch (error) {
      if (error instanceof CreatorReturnedPromise) {
        Promise.resolve(error.promise).catch(() => {});
        throw new TypeError(
          `getOrCreateSync: the creator for key ${JSON.stringify(key)} returned a promise; use getOrCreate for async creators.`,
        );
      }
      throw error;
    }
  }

  /** The sync path; throws {@link CreatorReturnedPromise} when the creator turns out to be async. */
  getOrCreateSyncOrPromise<T, A extends unknown[] = []>(key: string, creator: (...args: A) => T, options?: GetOrCreateOptions<T, A>): T {
    const mangled = this.mangle(key);
    const entry = this.syncStore('getOrCreateSync').readSync(mangled);
    const expirationMs = this.expirationFor(options);
    if (isFresh(entry, expirationMs, this.regionInvalidator)) {
      this.counters.increment('hits');
      return (entry as CachedValue<T>).payload;
    }
    return new KeyCreation(this.host, key, mangled, creator, options, expirationMs).serveSync(entry);
  }

  /**
   * Values for many keys with one creator call for those that need creating. `creator` gets
   * those keys (sorted, de-duplicated) and returns their values in the same order. The result is
   * aligned with `keys`. A caller that waited for another's lock reads the store again before
   * creating.
   */
  async getOrCreateMulti<T>(
    keys: readonly string[],
    creator: (keys: string[]) => T[] | Promise<T[]>,
    options?: GetOrCreateMultiOptions<T>,
  ): Promise<T[]> {
    if (this.loading !== undefined) await this.loading;
    this.requireStore();
    if (keys.length === 0) return [];
    const pairs = [...new Set(keys)].sort().map((key) => ({ key, mangled: this.mangle(key) }));
    const values = await getOrCreateMany(this.host, pairs, creator, options, this.expirationFor(options));
    return keys.map((key) => values.get(key) as T);
  }

  // ---------------------------------------------------------------- decorators

  /**
   * Caches a function on its arguments: `region.cacheOnArguments(options)(fn)`, or
   * `@region.cacheOnArguments(options)` on a class method. Keys come from the function's name,
   * the namespace and the arguments (never `this`).
   */
  cacheOnArguments<R = unknown>(options: CacheOnArgumentsOptions<R> = {}): CacheOnArgumentsDecorator<R> {
    return cacheOnArguments<R>(this, options);
  }

  /**
   * Caches a function that takes many arguments and returns one value per argument (an array
   * aligned with them, or with `asDict` a Map or object keyed by argument). Only the arguments
   * missing from the cache reach the function, in one call.
   */
  cacheMultiOnArguments<V = unknown>(
    options?: CacheMultiOnArgumentsOptions<V> & { asDict?: false },
  ): <K>(fn: (...args: K[]) => V[] | Promise<V[]>, context?: ClassMethodDecoratorContext) => CachedMultiFunction<K, V, V[]>;
  cacheMultiOnArguments<V = unknown>(
    options: CacheMultiOnArgumentsOptions<V> & { asDict: true },
  ): <K>(
    fn: (...args: K[]) => MultiMapping<K, V> | Promise<MultiMapping<K, V>>,
    context?: ClassMethodDecoratorContext,
  ) => CachedMultiFunction<K, V, MultiMapping<K, V>>;
  // The implementation signature is not part of the declared API; `any` lets both overloads match it.
  cacheMultiOnArguments<V = unknown>(
    options: CacheMultiOnArgumentsOptions<V> = {},
  ): <K>(fn: (...args: K[]) => unknown, context?: ClassMethodDecoratorContext) => CachedMultiFunction<K, V, any> {
    return <K>(fn: (...args: K[]) => unknown, context?: ClassMethodDecoratorContext) => cacheMultiOnArguments<K, V>(this, fn, options, context);
  }

  // ---------------------------------------------------------------- invalidation, locks, stats

  /**
   * Invalidates every value created before now. Hard (default): they are misses and the next
   * caller creates while others wait. Soft: they are stale, served while one caller regenerates.
   */
  invalidate(options: { hard?: boolean } = {}): void {
    this.regionInvalidator.invalidate(options.hard ?? true);
  }

  /** Whether a creator currently holds the lock for `key` (the key is mangled first). */
  async keyIsLocked(key: string): Promise<boolean> {
    if (this.loading !== undefined) await this.loading;
    const backend = this.requireBackend();
    const mangled = this.mangle(key);
    const mutex = backend.getMutex?.(mangled);
    if (mutex) return mutex.locked();
    return this.localLocks.isLocked(mangled);
  }

  keyIsLockedSync(key: string): boolean {
    const backend = this.requireBackend();
    const mangled = this.mangle(key);
    const mutex = backend.getMutex?.(mangled);
    if (!mutex) return this.localLocks.isLocked(mangled);
    if (!isSyncMutex(mutex)) throw new TypeError(`keyIsLockedSync: the ${JSON.stringify(this.backendName)} backend's lock cannot be read synchronously; use keyIsLocked.`);
    return mutex.lockedSync();
  }

  /** Counters summed over every thread that shares the storage (for shared backends). */
  stats(): CacheStats {
    return this.counters.snapshot();
  }

  /**
   * Releases the backend's connections, timers and file handles; the region is unconfigured
   * afterwards. Background refreshes still running finish first (stored and their locks released),
   * waiting at most the region's `lockTimeout`: a creator that never settles does not hold `close()`.
   */
  async close(): Promise<void> {
    if (this.loading !== undefined) await this.loading.catch(() => {});
    if (this.background.size > 0) await joinWithin(Promise.allSettled([...this.background]), this.configuredPolicy.lockTimeoutMs);
    const backend = this.inner;
    // Hits counted in this thread reach a shared store before the backend closes it.
    if (this.counters instanceof BatchedHitStats) this.counters.flush();
    this.store = undefined;
    this.inner = undefined;
    this.flights.clear();
    if (backend !== undefined) await this.closeBackend(backend);
  }

  private async closeBackend(backend: CacheBackend): Promise<void> {
    try {
      await backend.close?.();
    } catch (error) {
      this.emit('backendError', { operation: 'close', error });
    }
  }
}

function toProxy(proxy: unknown): ProxyBackend {
  const instance = typeof proxy === 'function' ? new (proxy as new () => unknown)() : proxy;
  if (!(instance instanceof ProxyBackend)) throw new TypeError(`${describe(proxy)} is not a valid ProxyBackend.`);
  return instance;
}

/** A new, unconfigured region. */
export function makeRegion(options: RegionOptions = {}): CacheRegion {
  return new CacheRegion(options);
}
