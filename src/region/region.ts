import { EventEmitter } from 'node:events';
import type {
  BackendEvent,
  CacheBackend,
  CacheBackendClass,
  CacheMutex,
  CacheStats,
  MaybePromise,
  StatsStore,
  StoredValue,
  SyncCacheMutex,
} from '../backends/api.js';
import { isSyncMutex } from '../backends/api.js';
import { isBackendClass, lookupBackend, registeredNameOf, resolveLoader } from '../backends/registry.js';
import { BackendUnavailableError, LockTimeoutError, RegionAlreadyConfigured, RegionNotConfigured, ValidationError } from '../errors.js';
import { LocalMutexRegistry, MISSING, runLock, runLockSync, type Freshness, type LockProtocol } from '../lock/index.js';
import { ProxyBackend, innermostBackend, supportsSync } from '../proxy.js';
import { NEVER, coarseNow, describe, now, parseDuration } from '../time.js';
import { CachedValue, NO_VALUE, type NoValue } from '../values.js';
import { EntryCodec } from './codec.js';
import { CreatorReturnedPromise } from './creator-returned-promise.js';
import {
  cacheMultiOnArguments,
  cacheOnArguments,
  type CachedMultiFunction,
  type CacheMultiOnArgumentsOptions,
  type CacheOnArgumentsDecorator,
  type CacheOnArgumentsOptions,
} from './decorators.js';
import { readConfigSection } from './config.js';
import { DefaultInvalidationStrategy, type RegionInvalidationStrategy } from './invalidation.js';
import { functionKeyGenerator, functionMultiKeyGenerator, type FunctionKeyGenerator, type FunctionMultiKeyGenerator, type KeyMangler } from './keys.js';
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
import { LocalStats } from './stats.js';
import type { Deserializer, Serializer } from '../serialization/codec.js';

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

type Creator<T, A extends unknown[]> = (...args: A) => T | Promise<T>;

interface InflightOutcome<T> {
  readonly settled: 'value' | 'failed' | 'timeout';
  readonly value?: T;
}

function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

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
  private outer: CacheBackend | undefined;
  private inner: CacheBackend | undefined;
  private backendName: string | undefined;
  private loading: Promise<void> | undefined;
  private configuredPolicy: ResolvedPolicy = resolvePolicy({});
  private codec: EntryCodec;
  private counters: StatsStore = new LocalStats();
  private failOpen = true;
  private syncCapable = false;
  private localLocks = new LocalMutexRegistry();
  private readonly inflight = new Map<string, Promise<unknown>>();
  private configureGeneration = 0;

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
    this.codec = this.makeCodec(false);
  }

  // ---------------------------------------------------------------- configuration

  /**
   * Gives the region its backend, by registered name. Options are validated here, so a bad value
   * fails now rather than at first use. The `arguments` object is never mutated.
   */
  configure(backend: string | CacheBackend, options: ConfigureOptions = {}): this {
    if (this.outer !== undefined || this.loading !== undefined) {
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
    return this.outer !== undefined || this.loading !== undefined;
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
    return this.outer !== undefined && this.syncCapable;
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
    this.outer = instance.wrap(this.requireBackend());
    this.syncCapable = supportsSync(this.outer);
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
    this.codec = this.makeCodec(outer.serialized === true || (this.serializer !== undefined && backend.useCodec === undefined));
    backend.useCodec?.(this.codec);
    backend.useRegionOptions?.({ expirationTimeMs: policy.expirationMs, lockTimeoutMs: policy.lockTimeoutMs });
    backend.setEventSink?.((event) => this.onBackendEvent(event));
    this.counters = backend.statsStore ?? new LocalStats();
    if (invalidator !== undefined) this.regionInvalidator = invalidator;
    if (this.regionInvalidator instanceof DefaultInvalidationStrategy) this.regionInvalidator.useStore(backend.invalidationStore);
    this.localLocks = new LocalMutexRegistry();
    this.inner = backend;
    this.outer = outer;
    this.syncCapable = supportsSync(outer);
    if (previous !== undefined && previous !== backend) void this.closeBackend(previous);
  }

  private makeCodec(storesBytes: boolean): EntryCodec {
    return new EntryCodec(storesBytes, this.serializer, this.deserializer, (key, error) => {
      this.counters.increment('deserializeErrors');
      this.emit('deserializeError', { key, error });
    });
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

  private requireBackend(): CacheBackend {
    const backend = this.outer;
    if (backend !== undefined) return backend;
    if (this.loading !== undefined) {
      throw new RegionNotConfigured(`The backend ${JSON.stringify(this.backendName)} of this region is still loading; await region.ready first.`);
    }
    throw new RegionNotConfigured('No backend is configured on this region; call configure(backendName, options) first.');
  }

  private requireSyncBackend(method: string): CacheBackend {
    const backend = this.requireBackend();
    if (!this.syncCapable) {
      throw new TypeError(
        `${method}: the ${JSON.stringify(this.backendName)} backend cannot answer synchronously; use the async method instead.`,
      );
    }
    return backend;
  }

  private mangle(key: string): string {
    if (typeof key !== 'string') throw new TypeError(`Cache keys are strings; got ${describe(key)}.`);
    return this.keyMangler === undefined ? key : this.keyMangler(key);
  }

  // ---------------------------------------------------------------- freshness

  private expirationFor(options: { expirationTime?: unknown } | undefined): number {
    if (options === undefined || options.expirationTime === undefined) return this.configuredPolicy.expirationMs;
    return typeof options.expirationTime === 'number' && options.expirationTime >= 0
      ? options.expirationTime
      : parseDuration(options.expirationTime, 'expirationTime');
  }

  /** The hit path's check, allocating nothing: present, not invalidated, not expired. */
  private isFresh(entry: CachedValue | NoValue, expirationMs: number): boolean {
    if (entry === NO_VALUE) return false;
    const ct = (entry as CachedValue).metadata.ct;
    return !this.regionInvalidator.isInvalidated(ct) && !isExpired(ct, expirationMs);
  }

  /** Judges a decoded entry: hard-invalidated is missing, soft-invalidated or old is stale. */
  private judge<T>(entry: CachedValue | NoValue, expirationMs: number): Freshness<T> {
    if (entry === NO_VALUE) return MISSING;
    const { ct } = (entry as CachedValue).metadata;
    const payload = (entry as CachedValue<T>).payload;
    if (this.regionInvalidator.isInvalidated(ct)) {
      return this.regionInvalidator.isHardInvalidated(ct) ? MISSING : { state: 'stale', value: payload };
    }
    if (isExpired(ct, expirationMs)) return { state: 'stale', value: payload };
    return { state: 'fresh', value: payload };
  }

  /** What `get` returns for a decoded entry. */
  private visible(entry: CachedValue | NoValue, options: GetOptions | undefined): CachedValue | NoValue {
    if (entry === NO_VALUE || options?.ignoreExpiration === true) return entry;
    const ct = (entry as CachedValue).metadata.ct;
    if (this.regionInvalidator.isInvalidated(ct)) return NO_VALUE;
    return isExpired(ct, this.expirationFor(options)) ? NO_VALUE : entry;
  }

  private countRead(entry: CachedValue | NoValue): void {
    this.counters.increment(entry === NO_VALUE ? 'misses' : 'hits');
  }

  // ---------------------------------------------------------------- backend access with fail-open

  private failed(operation: string, key: string | undefined, error: unknown): void {
    if (!this.failOpen || !(error instanceof BackendUnavailableError)) throw error;
    this.counters.increment('backendErrors');
    this.emit('backendError', key === undefined ? { operation, error } : { operation, key, error });
  }

  private readStored(backend: CacheBackend, key: string): MaybePromise<StoredValue | NoValue> {
    try {
      const stored = backend.get(key);
      if (isThenable<StoredValue | NoValue>(stored)) {
        return Promise.resolve(stored).catch((error: unknown) => {
          this.failed('get', key, error);
          return NO_VALUE;
        });
      }
      return stored;
    } catch (error) {
      this.failed('get', key, error);
      return NO_VALUE;
    }
  }

  private readStoredSync(backend: CacheBackend, key: string): StoredValue | NoValue {
    try {
      return backend.getSync!(key);
    } catch (error) {
      this.failed('get', key, error);
      return NO_VALUE;
    }
  }

  private async readMany(backend: CacheBackend, keys: readonly string[]): Promise<Array<StoredValue | NoValue>> {
    try {
      if (backend.getMulti) return await backend.getMulti(keys);
      return await Promise.all(keys.map((key) => backend.get(key)));
    } catch (error) {
      this.failed('getMulti', undefined, error);
      return keys.map(() => NO_VALUE);
    }
  }

  private readManySync(backend: CacheBackend, keys: readonly string[]): Array<StoredValue | NoValue> {
    try {
      return backend.getMultiSync ? backend.getMultiSync(keys) : keys.map((key) => backend.getSync!(key));
    } catch (error) {
      this.failed('getMulti', undefined, error);
      return keys.map(() => NO_VALUE);
    }
  }

  private writeStored(backend: CacheBackend, key: string, value: StoredValue): MaybePromise<void> {
    try {
      const written = backend.set(key, value);
      if (isThenable<void>(written)) return Promise.resolve(written).catch((error: unknown) => this.failed('set', key, error));
    } catch (error) {
      this.failed('set', key, error);
    }
  }

  private writeStoredSync(backend: CacheBackend, key: string, value: StoredValue): void {
    try {
      backend.setSync!(key, value);
    } catch (error) {
      this.failed('set', key, error);
    }
  }

  private async writeMany(backend: CacheBackend, entries: Array<readonly [string, StoredValue]>): Promise<void> {
    if (entries.length === 0) return;
    try {
      if (backend.setMulti) await backend.setMulti(entries);
      else for (const [key, value] of entries) await backend.set(key, value);
    } catch (error) {
      this.failed('setMulti', undefined, error);
    }
  }

  // ---------------------------------------------------------------- reads

  /** The value for `key`, or `NO_VALUE` when it is missing, expired, invalidated or undecodable. */
  get<T = unknown>(key: string, options?: GetOptions): Promise<T | NoValue> {
    // Not an async function: a hit must not pay for extra promise turns.
    try {
      if (this.loading !== undefined) return this.loading.then(() => this.get<T>(key, options));
      const backend = this.requireBackend();
      const mangled = this.mangle(key);
      const stored = this.readStored(backend, mangled);
      if (isThenable<StoredValue | NoValue>(stored)) return Promise.resolve(stored).then((found) => this.payloadOf<T>(found, mangled, options));
      return Promise.resolve(this.payloadOf<T>(stored, mangled, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `get`, answered synchronously; for backends that can (memory, shared-memory, lmdb, file, null). */
  getSync<T = unknown>(key: string, options?: GetOptions): T | NoValue {
    const backend = this.requireSyncBackend('getSync');
    const mangled = this.mangle(key);
    return this.payloadOf<T>(this.readStoredSync(backend, mangled), mangled, options);
  }

  private payloadOf<T>(stored: StoredValue | NoValue, key: string, options: GetOptions | undefined): T | NoValue {
    const entry = this.visible(this.codec.fromStored(stored, key), options);
    this.countRead(entry);
    return entry === NO_VALUE ? NO_VALUE : (entry as CachedValue<T>).payload;
  }

  /** Values for `keys`, aligned with them, `NO_VALUE` where there is none. */
  async getMulti<T = unknown>(keys: readonly string[], options?: GetOptions): Promise<Array<T | NoValue>> {
    if (this.loading !== undefined) await this.loading;
    const backend = this.requireBackend();
    if (keys.length === 0) return [];
    const mangled = keys.map((key) => this.mangle(key));
    const stored = await this.readMany(backend, mangled);
    return stored.map((found, index) => this.payloadOf<T>(found, mangled[index]!, options));
  }

  getMultiSync<T = unknown>(keys: readonly string[], options?: GetOptions): Array<T | NoValue> {
    const backend = this.requireSyncBackend('getMultiSync');
    if (keys.length === 0) return [];
    const mangled = keys.map((key) => this.mangle(key));
    return this.readManySync(backend, mangled).map((found, index) => this.payloadOf<T>(found, mangled[index]!, options));
  }

  /** The value with its metadata (`cachedTime`, `age`), or `undefined` where `get` would give `NO_VALUE`. */
  async getValueMetadata<T = unknown>(key: string, options?: GetOptions): Promise<CachedValue<T> | undefined> {
    if (this.loading !== undefined) await this.loading;
    const backend = this.requireBackend();
    const mangled = this.mangle(key);
    return this.metadataOf<T>(await this.readStored(backend, mangled), mangled, options);
  }

  getValueMetadataSync<T = unknown>(key: string, options?: GetOptions): CachedValue<T> | undefined {
    const backend = this.requireSyncBackend('getValueMetadataSync');
    const mangled = this.mangle(key);
    return this.metadataOf<T>(this.readStoredSync(backend, mangled), mangled, options);
  }

  private metadataOf<T>(stored: StoredValue | NoValue, key: string, options: GetOptions | undefined): CachedValue<T> | undefined {
    const entry = this.visible(this.codec.fromStored(stored, key), options);
    this.countRead(entry);
    return entry === NO_VALUE ? undefined : (entry as CachedValue<T>);
  }

  // ---------------------------------------------------------------- writes

  /** Stores `value` under `key`, created now. */
  async set(key: string, value: unknown): Promise<void> {
    if (this.loading !== undefined) await this.loading;
    const backend = this.requireBackend();
    const mangled = this.mangle(key);
    await this.writeStored(backend, mangled, this.codec.toStored(value, now()));
  }

  setSync(key: string, value: unknown): void {
    const backend = this.requireSyncBackend('setSync');
    const mangled = this.mangle(key);
    this.writeStoredSync(backend, mangled, this.codec.toStored(value, now()));
  }

  /** Stores many values with one creation time; takes a `Map` or a plain object. */
  async setMulti(entries: ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>): Promise<void> {
    if (this.loading !== undefined) await this.loading;
    const backend = this.requireBackend();
    await this.writeMany(backend, this.toStoredEntries(entries));
  }

  setMultiSync(entries: ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>): void {
    const backend = this.requireSyncBackend('setMultiSync');
    const stored = this.toStoredEntries(entries);
    if (stored.length === 0) return;
    try {
      if (backend.setMultiSync) backend.setMultiSync(stored);
      else for (const [key, value] of stored) backend.setSync!(key, value);
    } catch (error) {
      this.failed('setMulti', undefined, error);
    }
  }

  private toStoredEntries(entries: ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>): Array<readonly [string, StoredValue]> {
    const pairs = entries instanceof Map ? [...entries] : Object.entries(entries);
    const createdAt = now();
    return pairs.map(([key, value]) => [this.mangle(key), this.codec.toStored(value, createdAt)] as const);
  }

  /** Removes `key`; removing a missing key is not an error. */
  async delete(key: string): Promise<void> {
    if (this.loading !== undefined) await this.loading;
    const backend = this.requireBackend();
    const mangled = this.mangle(key);
    try {
      await backend.delete(mangled);
    } catch (error) {
      this.failed('delete', mangled, error);
    }
  }

  deleteSync(key: string): void {
    const backend = this.requireSyncBackend('deleteSync');
    const mangled = this.mangle(key);
    try {
      backend.deleteSync!(mangled);
    } catch (error) {
      this.failed('delete', mangled, error);
    }
  }

  async deleteMulti(keys: readonly string[]): Promise<void> {
    if (this.loading !== undefined) await this.loading;
    const backend = this.requireBackend();
    if (keys.length === 0) return;
    const mangled = keys.map((key) => this.mangle(key));
    try {
      if (backend.deleteMulti) await backend.deleteMulti(mangled);
      else for (const key of mangled) await backend.delete(key);
    } catch (error) {
      this.failed('deleteMulti', undefined, error);
    }
  }

  deleteMultiSync(keys: readonly string[]): void {
    const backend = this.requireSyncBackend('deleteMultiSync');
    if (keys.length === 0) return;
    const mangled = keys.map((key) => this.mangle(key));
    try {
      if (backend.deleteMultiSync) backend.deleteMultiSync(mangled);
      else for (const key of mangled) backend.deleteSync!(key);
    } catch (error) {
      this.failed('deleteMulti', undefined, error);
    }
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
      const backend = this.requireBackend();
      const mangled = this.mangle(key);
      const expirationMs = this.expirationFor(options);
      const stored = this.readStored(backend, mangled);
      if (isThenable<StoredValue | NoValue>(stored)) {
        return Promise.resolve(stored).then((found) => this.serveOrCreate(key, mangled, found, creator, options, expirationMs));
      }
      return this.serveOrCreate(key, mangled, stored, creator, options, expirationMs);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private serveOrCreate<T, A extends unknown[]>(
    key: string,
    mangled: string,
    stored: StoredValue | NoValue,
    creator: Creator<T, A>,
    options: GetOrCreateOptions<T, A> | undefined,
    expirationMs: number,
  ): Promise<T> {
    const entry = this.codec.fromStored(stored, mangled);
    if (this.isFresh(entry, expirationMs)) {
      this.counters.increment('hits');
      return Promise.resolve((entry as CachedValue<T>).payload);
    }
    const first = this.judge<T>(entry, expirationMs);
    const inflight = this.inflight.get(mangled) as Promise<T> | undefined;
    if (inflight !== undefined) {
      if (first.state === 'stale') {
        this.counters.increment('staleServed');
        return Promise.resolve(first.value);
      }
      this.counters.increment('misses');
      return this.joinInflight(inflight, key, mangled, creator, options);
    }
    if (first.state === 'missing') this.counters.increment('misses');
    const creation = runLock(this.lockProtocol(key, mangled, creator, options, expirationMs, false), first);
    this.trackInflight(mangled, creation);
    return creation;
  }

  private trackInflight(mangled: string, creation: Promise<unknown>): void {
    this.inflight.set(mangled, creation);
    const clear = (): void => {
      if (this.inflight.get(mangled) === creation) this.inflight.delete(mangled);
    };
    creation.then(clear, clear);
  }

  /** Waits for this thread's creation of the same key; on failure the waiter tries again itself. */
  private async joinInflight<T, A extends unknown[]>(
    inflight: Promise<T>,
    key: string,
    mangled: string,
    creator: Creator<T, A>,
    options: GetOrCreateOptions<T, A> | undefined,
  ): Promise<T> {
    this.counters.increment('lockWaits');
    const policy = this.policyFor(options);
    const outcome = await awaitWithin(inflight, policy.lockTimeoutMs);
    if (outcome.settled === 'value') return outcome.value as T;
    if (outcome.settled === 'failed') return this.getOrCreate(key, creator, options);
    this.timedOut(key, policy.lockTimeoutMs, policy.onLockTimeout);
    return this.createAndStore(this.requireBackend(), key, mangled, creator, options) as Promise<T> | T;
  }

  private timedOut(key: string, timeoutMs: number, onLockTimeout: 'error' | 'create'): void {
    this.counters.increment('lockTimeouts');
    this.emit('lockTimeout', { key, timeoutMs });
    if (onLockTimeout === 'error') throw new LockTimeoutError(key, timeoutMs);
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

  private syncMutexFor(mangled: string): SyncCacheMutex {
    const mutex = this.mutexFor(mangled);
    if (!isSyncMutex(mutex)) {
      throw new TypeError(`The ${JSON.stringify(this.backendName)} backend's lock cannot be taken synchronously; use getOrCreate instead of getOrCreateSync.`);
    }
    return mutex;
  }

  private lockProtocol<T, A extends unknown[]>(
    key: string,
    mangled: string,
    creator: Creator<T, A>,
    options: GetOrCreateOptions<T, A> | undefined,
    expirationMs: number,
    sync: boolean,
  ): LockProtocol<T> {
    const backend = this.requireBackend();
    const policy = this.policyFor(options);
    const mutex = sync ? this.syncMutexFor(mangled) : this.mutexFor(mangled);
    const timeoutMs = policy.lockTimeoutMs;
    const create = sync
      ? () => this.createAndStoreSync(backend, key, mangled, creator, options)
      : () => this.createAndStore(backend, key, mangled, creator, options);
    return {
      key,
      timeoutMs,
      onTimeout: policy.onLockTimeout,
      read: sync
        ? () => this.judge<T>(this.codec.fromStored(this.readStoredSync(backend, mangled), mangled), expirationMs)
        : () => {
            const stored = this.readStored(backend, mangled);
            return isThenable<StoredValue | NoValue>(stored)
              ? Promise.resolve(stored).then((found) => this.judge<T>(this.codec.fromStored(found, mangled), expirationMs))
              : this.judge<T>(this.codec.fromStored(stored, mangled), expirationMs);
          },
      acquire: sync ? (wait) => (mutex as SyncCacheMutex).acquireSync(wait, timeoutMs) : (wait) => mutex.acquire(wait, timeoutMs),
      release: sync ? () => (mutex as SyncCacheMutex).releaseSync() : () => mutex.release(),
      create,
      handOff: this.handOffFor(backend, key, mangled, creator, options, mutex, policy),
      onStaleServed: () => this.counters.increment('staleServed'),
      onServedAfterWait: () => this.counters.increment('lockWaits'),
      onTimedOut: () => {
        this.counters.increment('lockTimeouts');
        this.emit('lockTimeout', { key, timeoutMs });
      },
    };
  }

  /** How a caller that won the lock over a stale value passes the creation on, if it does. */
  private handOffFor<T, A extends unknown[]>(
    backend: CacheBackend,
    key: string,
    mangled: string,
    creator: Creator<T, A>,
    options: GetOrCreateOptions<T, A> | undefined,
    mutex: CacheMutex,
    policy: ResolvedPolicy,
  ): (() => void) | undefined {
    const runner = this.asyncCreationRunner;
    if (runner !== undefined) {
      const args = (options?.creatorArgs ?? []) as A;
      return () => {
        try {
          runner(this, key, () => creator(...args), mutex);
        } catch (error) {
          void mutex.release();
          this.emit('creatorError', { key, error });
        }
      };
    }
    if (!policy.backgroundRefresh) return undefined;
    return () => {
      setImmediate(() => {
        void (async () => {
          try {
            await this.createAndStore(backend, key, mangled, creator, options);
          } catch (error) {
            this.emit('creatorError', { key, error });
          } finally {
            await mutex.release();
          }
        })();
      });
    };
  }

  private createAndStore<T, A extends unknown[]>(
    backend: CacheBackend,
    key: string,
    mangled: string,
    creator: Creator<T, A>,
    options: GetOrCreateOptions<T, A> | undefined,
  ): MaybePromise<T> {
    let created: T | Promise<T>;
    try {
      created = creator(...((options?.creatorArgs ?? []) as A));
    } catch (error) {
      this.counters.increment('creatorErrors');
      throw error;
    }
    if (isThenable<T>(created)) {
      return Promise.resolve(created).then(
        (value) => this.storeCreated(backend, mangled, value, options),
        (error: unknown) => {
          this.counters.increment('creatorErrors');
          throw error;
        },
      );
    }
    return this.storeCreated(backend, mangled, created, options);
  }

  private storeCreated<T>(backend: CacheBackend, mangled: string, value: T, options: GetOrCreateOptions<T, never[]> | GetOrCreateOptions<T, unknown[]> | undefined): MaybePromise<T> {
    this.counters.increment('creations');
    if (options?.shouldCacheFn !== undefined && !options.shouldCacheFn(value)) return value;
    const written = this.writeStored(backend, mangled, this.codec.toStored(value, now()));
    return isThenable<void>(written) ? Promise.resolve(written).then(() => value) : value;
  }

  private createAndStoreSync<T, A extends unknown[]>(
    backend: CacheBackend,
    key: string,
    mangled: string,
    creator: Creator<T, A>,
    options: GetOrCreateOptions<T, A> | undefined,
  ): T {
    let created: T | Promise<T>;
    try {
      created = creator(...((options?.creatorArgs ?? []) as A));
    } catch (error) {
      this.counters.increment('creatorErrors');
      throw error;
    }
    if (isThenable<T>(created)) throw new CreatorReturnedPromise(created);
    this.counters.increment('creations');
    if (options?.shouldCacheFn === undefined || options.shouldCacheFn(created)) {
      this.writeStoredSync(backend, mangled, this.codec.toStored(created, now()));
    }
    return created;
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
    const backend = this.requireSyncBackend('getOrCreateSync');
    const mangled = this.mangle(key);
    const expirationMs = this.expirationFor(options);
    const entry = this.codec.fromStored(this.readStoredSync(backend, mangled), mangled);
    if (this.isFresh(entry, expirationMs)) {
      this.counters.increment('hits');
      return (entry as CachedValue<T>).payload;
    }
    const first = this.judge<T>(entry, expirationMs);
    if (first.state === 'missing') this.counters.increment('misses');
    if (this.inflight.has(mangled)) {
      // An async creation of this key is under way in this thread; a synchronous caller cannot
      // wait for it without blocking the very thread that has to finish it.
      if (first.state === 'stale') {
        this.counters.increment('staleServed');
        return first.value;
      }
      return this.createAndStoreSync(backend, key, mangled, creator, options);
    }
    return runLockSync(this.lockProtocol(key, mangled, creator, options, expirationMs, true), first);
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
    const backend = this.requireBackend();
    if (keys.length === 0) return [];
    const policy = this.policyFor(options);
    const expirationMs = this.expirationFor(options);
    const unique = [...new Set(keys)].sort();
    const mangled = unique.map((key) => this.mangle(key));
    const stored = await this.readMany(backend, mangled);
    const values = new Map<string, T>();
    const held: CacheMutex[] = [];
    const toCreate: Array<{ key: string; mangled: string }> = [];
    const pending = new Map<string, Deferred<T>>();
    try {
      for (let index = 0; index < unique.length; index++) {
        const key = unique[index]!;
        const keyMangled = mangled[index]!;
        const first = this.judge<T>(this.codec.fromStored(stored[index]!, keyMangled), expirationMs);
        if (first.state === 'fresh') {
          this.counters.increment('hits');
          values.set(key, first.value);
          continue;
        }
        const inflight = this.inflight.get(keyMangled) as Promise<T> | undefined;
        if (inflight !== undefined && first.state === 'stale') {
          this.counters.increment('staleServed');
          values.set(key, first.value);
          continue;
        }
        if (inflight !== undefined) {
          this.counters.increment('misses');
          this.counters.increment('lockWaits');
          const outcome = await awaitWithin(inflight, policy.lockTimeoutMs);
          if (outcome.settled === 'value') {
            values.set(key, outcome.value as T);
            continue;
          }
          if (outcome.settled === 'timeout') this.timedOut(key, policy.lockTimeoutMs, policy.onLockTimeout);
        }
        const mutex = this.mutexFor(keyMangled);
        if (first.state === 'stale') {
          if (await mutex.acquire(false, policy.lockTimeoutMs)) {
            held.push(mutex);
            toCreate.push({ key, mangled: keyMangled });
          } else {
            this.counters.increment('staleServed');
            values.set(key, first.value);
          }
          continue;
        }
        if (inflight === undefined) this.counters.increment('misses');
        if (!(await mutex.acquire(true, policy.lockTimeoutMs))) {
          this.timedOut(key, policy.lockTimeoutMs, policy.onLockTimeout);
          toCreate.push({ key, mangled: keyMangled });
          continue;
        }
        const again = this.judge<T>(this.codec.fromStored(await this.readStored(backend, keyMangled), keyMangled), expirationMs);
        if (again.state === 'fresh') {
          this.counters.increment('lockWaits');
          await mutex.release();
          values.set(key, again.value);
        } else {
          held.push(mutex);
          toCreate.push({ key, mangled: keyMangled });
        }
      }
      if (toCreate.length > 0) {
        for (const { mangled: keyMangled } of toCreate) {
          if (this.inflight.has(keyMangled)) continue;
          const deferred = new Deferred<T>();
          pending.set(keyMangled, deferred);
          this.trackInflight(keyMangled, deferred.promise);
        }
        await this.createMulti(backend, toCreate, creator, options, values);
        for (const { key, mangled: keyMangled } of toCreate) pending.get(keyMangled)?.resolve(values.get(key) as T);
      }
    } catch (error) {
      for (const deferred of pending.values()) deferred.reject(error);
      throw error;
    } finally {
      await Promise.all(held.map((mutex) => mutex.release()));
    }
    return keys.map((key) => values.get(key) as T);
  }

  private async createMulti<T>(
    backend: CacheBackend,
    toCreate: ReadonlyArray<{ key: string; mangled: string }>,
    creator: (keys: string[]) => T[] | Promise<T[]>,
    options: GetOrCreateMultiOptions<T> | undefined,
    values: Map<string, T>,
  ): Promise<void> {
    const requested = toCreate.map(({ key }) => key);
    let created: T[];
    try {
      created = await creator(requested);
    } catch (error) {
      this.counters.increment('creatorErrors');
      throw error;
    }
    if (!Array.isArray(created) || created.length !== requested.length) {
      this.counters.increment('creatorErrors');
      throw new TypeError(
        `getOrCreateMulti: the creator must return an array with one value per requested key (${requested.length}: ${requested.join(', ')}); got ${describe(created)}.`,
      );
    }
    this.counters.increment('creations', created.length);
    const createdAt = now();
    const toStore: Array<readonly [string, StoredValue]> = [];
    toCreate.forEach(({ key, mangled }, index) => {
      const value = created[index] as T;
      values.set(key, value);
      if (options?.shouldCacheFn === undefined || options.shouldCacheFn(value)) toStore.push([mangled, this.codec.toStored(value, createdAt)]);
    });
    await this.writeMany(backend, toStore);
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

  /** Releases the backend's connections, timers and file handles; the region is unconfigured afterwards. */
  async close(): Promise<void> {
    if (this.loading !== undefined) await this.loading.catch(() => {});
    const backend = this.inner;
    this.outer = undefined;
    this.inner = undefined;
    this.inflight.clear();
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

class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;
  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.promise.catch(() => {});
  }
}

/** Strictly older than the expiration time; `0` means always expired, `NEVER` never. */
function isExpired(createdAt: number, expirationMs: number): boolean {
  return expirationMs !== NEVER && (expirationMs === 0 || coarseNow() - createdAt > expirationMs);
}

/** Waits for `promise` at most `timeoutMs`, never rejecting. */
function awaitWithin<T>(promise: Promise<T>, timeoutMs: number): Promise<InflightOutcome<T>> {
  return new Promise((resolve) => {
    const timer = Number.isFinite(timeoutMs) ? setTimeout(() => resolve({ settled: 'timeout' }), timeoutMs) : undefined;
    promise.then(
      (value) => {
        if (timer) clearTimeout(timer);
        resolve({ settled: 'value', value });
      },
      () => {
        if (timer) clearTimeout(timer);
        resolve({ settled: 'failed' });
      },
    );
  });
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
