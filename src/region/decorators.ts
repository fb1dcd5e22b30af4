import type { Duration } from '../time.js';
import { NO_VALUE, type NoValue } from '../values.js';
import type { FunctionKeyGenerator, FunctionMultiKeyGenerator, ToStr } from './keys.js';
import { CreatorReturnedPromise } from './creator-returned-promise.js';
import type { CacheRegion } from './region.js';

/** An expiration time, or a function called on every call to compute one ("until midnight"). */
export type DynamicExpiration = Duration | (() => Duration);

/** Options of `cacheOnArguments`. */
export interface CacheOnArgumentsOptions<R> {
  /** Added to the key, to tell apart functions of the same name. Default: none. */
  namespace?: string;
  /** Overrides the region's expiration time; may be a function called per call. Default: the region's. */
  expirationTime?: DynamicExpiration;
  /** Decides whether a result is stored; it is returned either way. Default: always store. */
  shouldCacheFn?: (value: Awaited<R>) => boolean;
  /** Renders each argument into the key. Default: `stableToStr` (sorted object keys). */
  toStr?: ToStr;
  /** Replaces the region's key generator for this function. Default: the region's. */
  functionKeyGenerator?: FunctionKeyGenerator;
  /**
   * `true`: always the synchronous path (`getOrCreateSync`); `false`: always async (returns a
   * promise). Default: synchronous when the backend can answer synchronously and the function is
   * not declared `async`; a plain function found returning a promise switches to async.
   */
  sync?: boolean;
}

/** A function wrapped by `cacheOnArguments`, with its cache controls. */
export interface CachedFunction<A extends unknown[], R> {
  (...args: A): R;
  /** Removes the cached value for these arguments. */
  invalidate(...args: A): Promise<void>;
  /** Stores `value` as the result for these arguments without calling the function. */
  set(value: Awaited<R>, ...args: A): Promise<void>;
  /**
   * Calls the function now (bypassing the lock), stores and returns its result. On an instance
   * method, give the instance: `obj.method.refresh.call(obj, ...args)` (the key never includes
   * `this`, but the method may use it); a static method runs against its class.
   */
  refresh(...args: A): Promise<Awaited<R>>;
  /** The cached value for these arguments (judged by the decorator's expiration time), or `NO_VALUE`. */
  get(...args: A): Promise<Awaited<R> | NoValue>;
  /** The undecorated function. */
  readonly original: (...args: A) => R;
}

/** Wraps a function, or decorates a class method (TC39 decorators). */
export interface CacheOnArgumentsDecorator<R0 = unknown> {
  <A extends unknown[], R extends R0>(fn: (...args: A) => R): CachedFunction<A, R>;
  <This, A extends unknown[], R extends R0>(
    method: (this: This, ...args: A) => R,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R>,
  ): CachedFunction<A, R> & ((this: This, ...args: A) => R);
}

function isAsyncFunction(fn: Function): boolean {
  return fn.constructor.name === 'AsyncFunction' || fn.constructor.name === 'AsyncGeneratorFunction';
}

function expirationOf(expiration: DynamicExpiration | undefined): Duration | undefined {
  return typeof expiration === 'function' ? expiration() : expiration;
}

function nameFor(fn: Function, context: unknown): string {
  const contextName = (context as { name?: unknown } | undefined)?.name;
  return typeof contextName === 'string' ? contextName : fn.name;
}

/**
 * Who `refresh` runs the function against. Calling `obj.method.refresh(...)` makes `this` the
 * wrapper, not `obj`, so an instance method needs `.call(obj, ...)`; a static method's class is
 * captured when the class is defined; a plain function gets no `this`.
 */
interface Receiver {
  resolve(thisArg: unknown, wrapper: Function, method: string): unknown;
}

function receiverFor(context: unknown, fn: Function, decorator: string): Receiver {
  if (context === undefined || context === null) return { resolve: (thisArg, wrapper) => (thisArg === wrapper ? undefined : thisArg) };
  const method = context as Partial<ClassMethodDecoratorContext>;
  if (method.kind !== 'method') {
    throw new TypeError(`${decorator} decorates functions and methods; got a ${String(method.kind)} (${String(method.name)}).`);
  }
  let owner: unknown;
  if (method.static === true) {
    method.addInitializer?.(function captureClass(this: unknown) {
      owner = this;
    });
  }
  const name = nameFor(fn, context);
  return {
    resolve(thisArg, wrapper, operation) {
      if (thisArg !== undefined && thisArg !== wrapper) return thisArg;
      if (method.static === true) return owner;
      throw new TypeError(
        `${name}.${operation}() needs the instance to run the method on; call ${name}.${operation}.call(instance, ...args).`,
      );
    },
  };
}

export function cacheOnArguments<R0 = unknown>(region: CacheRegion, options: CacheOnArgumentsOptions<R0> = {}): CacheOnArgumentsDecorator<R0> {
  const decorate = (fn: (...args: unknown[]) => unknown, context?: unknown): unknown => {
    const receiver = receiverFor(context, fn, 'cacheOnArguments');
    const generator = options.functionKeyGenerator ?? region.functionKeyGenerator;
    const keyFor = generator(options.namespace, { name: nameFor(fn, context) }, options.toStr);
    let async = options.sync === false || (options.sync === undefined && isAsyncFunction(fn));
    const shouldCacheFn = options.shouldCacheFn as ((value: unknown) => boolean) | undefined;

    function cached(this: unknown, ...args: unknown[]): unknown {
      const key = keyFor(...args);
      const callOptions = { expirationTime: expirationOf(options.expirationTime), shouldCacheFn };
      const creator = (): unknown => fn.apply(this, args);
      if (async || options.sync === false) return region.getOrCreate(key, creator, callOptions);
      if (options.sync === undefined && !region.supportsSync) {
        // A function that would answer synchronously must not hand back a rejected promise for
        // a region without a backend: reading `backend` throws RegionNotConfigured here.
        if (!region.isConfigured) void region.backend;
        return region.getOrCreate(key, creator, callOptions);
      }
      if (options.sync === true) return region.getOrCreateSync(key, creator, callOptions);
      try {
        return region.getOrCreateSyncOrPromise(key, creator, callOptions);
      } catch (error) {
        if (!(error instanceof CreatorReturnedPromise)) throw error;
        // The function is async after all: from now on take the async path, and let this
        // call's promise be the creation instead of calling the function a second time.
        async = true;
        // Should this call join a creation already under way, that promise is never awaited here.
        Promise.resolve(error.promise).catch(() => {});
        return region.getOrCreate(key, () => error.promise, callOptions);
      }
    }

    return Object.assign(cached, {
      invalidate: (...args: unknown[]) => region.delete(keyFor(...args)),
      set: (value: unknown, ...args: unknown[]) => region.set(keyFor(...args), value),
      refresh: async function refresh(this: unknown, ...args: unknown[]) {
        const value = await fn.apply(receiver.resolve(this, cached, 'refresh'), args);
        await region.set(keyFor(...args), value);
        return value;
      },
      get: (...args: unknown[]) => region.get(keyFor(...args), { expirationTime: expirationOf(options.expirationTime) }),
      original: fn,
    });
  };
  return decorate as CacheOnArgumentsDecorator<R0>;
}

/** Options of `cacheMultiOnArguments`. */
export interface CacheMultiOnArgumentsOptions<V> {
  /** Added to every key. Default: none. */
  namespace?: string;
  /** Overrides the region's expiration time; may be a function called per call. Default: the region's. */
  expirationTime?: DynamicExpiration;
  /** Decides per value whether it is stored; all are returned. Default: always store. */
  shouldCacheFn?: (value: V) => boolean;
  /** Renders each argument into its key. Default: `stableToStr`. */
  toStr?: ToStr;
  /** Replaces the region's multi key generator. Default: the region's. */
  functionMultiKeyGenerator?: FunctionMultiKeyGenerator;
  /**
   * The function returns a `Map` or plain object keyed by argument instead of an array; arguments
   * it leaves out are not cached and are left out of the result. The wrapper answers in the shape
   * the function last returned, also when every value comes from the cache (a plain object until
   * the function has run in this process). Default `false`.
   */
  asDict?: boolean;
}

type Mapping<K, V> = Map<K, V> | Record<string, V>;

/** A function over many arguments wrapped by `cacheMultiOnArguments`. */
export interface CachedMultiFunction<K, V, Out> {
  (...args: K[]): Promise<Out>;
  /** Removes the cached values for these arguments. */
  invalidate(...args: K[]): Promise<void>;
  /** Stores values keyed by argument without calling the function. */
  set(mapping: Mapping<K, V>): Promise<void>;
  /** Calls the function now for these arguments, stores and returns the results (methods: as for `CachedFunction.refresh`). */
  refresh(...args: K[]): Promise<Out>;
  /** The cached values, aligned with the arguments, `NO_VALUE` where missing. */
  get(...args: K[]): Promise<Array<V | NoValue>>;
  readonly original: (...args: K[]) => unknown;
}

function lookup<K, V>(mapping: Mapping<K, V>, arg: K): V | NoValue {
  if (mapping instanceof Map) return mapping.has(arg) ? (mapping.get(arg) as V) : NO_VALUE;
  const name = String(arg);
  return Object.prototype.hasOwnProperty.call(mapping, name) ? (mapping[name] as V) : NO_VALUE;
}

function entriesOf<K, V>(mapping: Mapping<K, V>): Array<[K, V]> {
  return mapping instanceof Map ? [...mapping] : (Object.entries(mapping) as unknown as Array<[K, V]>);
}

export function cacheMultiOnArguments<K, V>(
  region: CacheRegion,
  fn: (...args: K[]) => unknown,
  options: CacheMultiOnArgumentsOptions<V> = {},
  context?: unknown,
): CachedMultiFunction<K, V, unknown> {
  const receiver = receiverFor(context, fn, 'cacheMultiOnArguments');
  const generator = options.functionMultiKeyGenerator ?? region.functionMultiKeyGenerator;
  const keysFor = generator(options.namespace, { name: nameFor(fn, context) }, options.toStr) as (...args: K[]) => string[];
  const asDict = options.asDict === true;
  const userShouldCache = options.shouldCacheFn;
  const shouldCacheFn = asDict
    ? (value: V | NoValue) => value !== NO_VALUE && (userShouldCache === undefined || userShouldCache(value as V))
    : (userShouldCache as ((value: V | NoValue) => boolean) | undefined);

  // Whether the function answers with a Map (else a plain object), learnt from its results so a
  // call served entirely from the cache answers in the same shape. Until the function has run in
  // this process, a plain object.
  let returnsMap = false;
  const learnShape = (result: unknown): void => {
    returnsMap = result instanceof Map;
  };

  const toResult = (args: K[], values: Array<V | NoValue>): unknown => {
    if (!asDict) return values;
    if (returnsMap) return new Map(args.flatMap((arg, index) => (values[index] === NO_VALUE ? [] : [[arg, values[index] as V] as const])));
    const out: Record<string, V> = {};
    args.forEach((arg, index) => {
      if (values[index] !== NO_VALUE) out[String(arg)] = values[index] as V;
    });
    return out;
  };

  async function cached(this: unknown, ...args: K[]): Promise<unknown> {
    const keys = keysFor(...args);
    const argOfKey = new Map(keys.map((key, index) => [key, args[index] as K]));
    const creator = async (keysToCreate: string[]): Promise<Array<V | NoValue>> => {
      const subset = keysToCreate.map((key) => argOfKey.get(key) as K);
      const result = await fn.apply(this, subset);
      if (!asDict) return result as V[];
      learnShape(result);
      return subset.map((arg) => lookup(result as Mapping<K, V>, arg));
    };
    const values = await region.getOrCreateMulti<V | NoValue>(keys, creator, {
      expirationTime: expirationOf(options.expirationTime),
      ...(shouldCacheFn === undefined ? {} : { shouldCacheFn }),
    });
    return toResult(args, values);
  }

  return Object.assign(cached, {
    invalidate: (...args: K[]) => region.deleteMulti(keysFor(...args)),
    set: (mapping: Mapping<K, V>) => {
      const entries = entriesOf(mapping);
      const keys = keysFor(...entries.map(([arg]) => arg));
      return region.setMulti(new Map(entries.map(([, value], index) => [keys[index]!, value])));
    },
    refresh: async function refresh(this: unknown, ...args: K[]) {
      const keys = keysFor(...args);
      const result = await fn.apply(receiver.resolve(this, cached, 'refresh'), args);
      if (asDict) learnShape(result);
      const values = asDict ? args.map((arg) => lookup(result as Mapping<K, V>, arg)) : (result as V[]);
      await region.setMulti(new Map(keys.flatMap((key, index) => (values[index] === NO_VALUE ? [] : [[key, values[index]] as const]))));
      return toResult(args, values);
    },
    get: (...args: K[]) => region.getMulti<V>(keysFor(...args), { expirationTime: expirationOf(options.expirationTime) }),
    original: fn,
  }) as CachedMultiFunction<K, V, unknown>;
}
