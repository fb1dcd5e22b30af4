import { expect } from 'chai';
import fc from 'fast-check';
import {
  kwargFunctionKeyGenerator,
  makeRegion,
  NO_VALUE,
  ProxyBackend,
  RegionNotConfigured,
  type CachedFunction,
  type CachedMultiFunction,
  type CacheMultiOnArgumentsOptions,
  type CacheMutex,
  type Duration,
  type CacheRegion,
  type MaybePromise,
  type StoredValue,
} from '../../src/index.js';
import { sleep } from '../../src/time.js';

// Region expiration for the expiry scenarios, and a sleep that outlasts it.
const SHORT_MS = 40;
const PAST_SHORT_MS = 80;
// An expiration no test run comes near, so "still cached" never depends on the machine's speed.
const LONG = '1m';

/** Methods keep their declared type under a decorator; this reaches the cache controls. */
function controls<A extends unknown[], R>(method: (...args: A) => R): CachedFunction<A, R> {
  return method as unknown as CachedFunction<A, R>;
}

/** Remembers every key written to the backend. */
class KeyRecordingProxy extends ProxyBackend {
  readonly written: string[] = [];
  override set(key: string, value: StoredValue): MaybePromise<void> {
    this.written.push(key);
    return super.set(key, value);
  }
  override setMulti(entries: ReadonlyArray<readonly [string, StoredValue]>): Promise<void> {
    for (const [key] of entries) this.written.push(key);
    return super.setMulti(entries);
  }
}

/** `go(a, b)` from dogpile's tests: returns [call number, a, b]. */
function counting(region: CacheRegion, options: Parameters<CacheRegion['cacheOnArguments']>[0] = {}) {
  let counter = 0;
  const go = region.cacheOnArguments(options)(function go(a: number, b: number): [number, number, number] {
    counter++;
    return [counter, a, b];
  });
  return { go, calls: () => counter };
}

describe('cacheOnArguments', () => {
  it('caches per argument list and regenerates after the region expiration time (D01)', async () => {
    const { go } = counting(makeRegion().configure('memory', { expirationTime: SHORT_MS }));
    expect(go(1, 2)).to.deep.equal([1, 1, 2]);
    expect(go(3, 4)).to.deep.equal([2, 3, 4]);
    expect(go(1, 2)).to.deep.equal([1, 1, 2]);
    await sleep(PAST_SHORT_MS);
    expect(go(1, 2)).to.deep.equal([3, 1, 2]);
  });

  it('with a namespace, stores under name|namespace|args (D02, D22)', () => {
    const recorder = new KeyRecordingProxy();
    const region = makeRegion().configure('memory', { wrap: [recorder] });
    const { go } = counting(region, { namespace: 'x' });
    expect(go(1, 2)).to.deep.equal([1, 1, 2]);
    expect(go(1, 2)).to.deep.equal([1, 1, 2]);
    expect(recorder.written).to.deep.equal(['go|x|1 2']);
  });

  it('without a namespace, stores under name|args, and a zero-argument call under name|', () => {
    const recorder = new KeyRecordingProxy();
    const region = makeRegion().configure('memory', { wrap: [recorder] });
    const { go } = counting(region);
    go(1, 2);
    const answer = region.cacheOnArguments()(function answer() {
      return 42;
    });
    expect(answer()).to.equal(42);
    expect(recorder.written).to.deep.equal(['go|1 2', 'answer|']);
  });

  it('two functions with the same name share entries unless namespaced', () => {
    const region = makeRegion().configure('memory');
    const first = region.cacheOnArguments()(function lookup(id: number) {
      return `first ${id}`;
    });
    const second = region.cacheOnArguments()(function lookup(id: number) {
      return `second ${id}`;
    });
    const namespaced = region.cacheOnArguments({ namespace: 'other' })(function lookup(id: number) {
      return `namespaced ${id}`;
    });
    expect(first(1)).to.equal('first 1');
    expect(second(1)).to.equal('first 1');
    expect(namespaced(1)).to.equal('namespaced 1');
  });

  it('a decorator expiration time overrides the region one (D03)', async () => {
    const { go } = counting(makeRegion().configure('memory', { expirationTime: SHORT_MS }), { expirationTime: LONG });
    expect(go(1, 2)).to.deep.equal([1, 1, 2]);
    await sleep(PAST_SHORT_MS);
    expect(go(1, 2)).to.deep.equal([1, 1, 2]);
    const { go: shortGo } = counting(makeRegion().configure('memory', { expirationTime: LONG }), { expirationTime: SHORT_MS });
    expect(shortGo(1, 2)).to.deep.equal([1, 1, 2]);
    await sleep(PAST_SHORT_MS);
    expect(shortGo(1, 2)).to.deep.equal([2, 1, 2]);
  });

  it('a function expiration time is called on every call (D04)', async () => {
    let evaluations = 0;
    let current: Duration = LONG;
    const { go } = counting(makeRegion().configure('memory', { expirationTime: SHORT_MS }), {
      expirationTime: () => {
        evaluations++;
        return current;
      },
    });
    expect(go(1, 2)).to.deep.equal([1, 1, 2]);
    await sleep(PAST_SHORT_MS);
    expect(go(1, 2)).to.deep.equal([1, 1, 2]);
    expect(evaluations).to.equal(2);
    // "Cache until ...": the same stored value becomes stale once the function says so.
    current = SHORT_MS;
    expect(go(1, 2)).to.deep.equal([2, 1, 2]);
    expect(evaluations).to.equal(3);
    expect(await go.get(1, 2)).to.deep.equal([2, 1, 2]);
    expect(evaluations).to.equal(4);
  });

  it('a function expiration time returning 0 regenerates on every call (D05)', () => {
    const { go } = counting(makeRegion().configure('memory', { expirationTime: LONG }), { expirationTime: () => 0 });
    expect(go(1, 2)).to.deep.equal([1, 1, 2]);
    expect(go(1, 2)).to.deep.equal([2, 1, 2]);
    expect(go(1, 2)).to.deep.equal([3, 1, 2]);
  });

  it('a bad expiration time is a ValidationError at call time naming the value', () => {
    const { go } = counting(makeRegion().configure('memory'), { expirationTime: () => 'tomorrow' as '1d' });
    expect(() => go(1, 2)).to.throw(/expirationTime.*"tomorrow"/);
  });

  it('invalidate(args) removes only that entry (D06)', async () => {
    const { go } = counting(makeRegion().configure('memory'));
    expect(go(1, 2)).to.deep.equal([1, 1, 2]);
    expect(go(3, 4)).to.deep.equal([2, 3, 4]);
    await go.invalidate(1, 2);
    expect(go(1, 2)).to.deep.equal([3, 1, 2]);
    expect(go(3, 4)).to.deep.equal([2, 3, 4]);
  });

  it('set(value, ...args) stores without calling the function, falsy values included (D07)', async () => {
    const region = makeRegion().configure('memory');
    let calls = 0;
    const go = region.cacheOnArguments()(function go(a: number, b: number): number {
      calls++;
      return a + b;
    });
    await go.set(5, 1, 2);
    expect(go(1, 2)).to.equal(5);
    await go.set(0, 1, 3);
    expect(go(1, 3)).to.equal(0);
    expect(calls).to.equal(0);
  });

  it('get(args) returns the cached value or NO_VALUE, without calling the function (D08)', async () => {
    const { go, calls } = counting(makeRegion().configure('memory'));
    go(1, 2);
    expect(await go.get(1, 2)).to.deep.equal([1, 1, 2]);
    expect(await go.get(2, 1)).to.equal(NO_VALUE);
    go(2, 1);
    expect(await go.get(2, 1)).to.deep.equal([2, 2, 1]);
    expect(calls()).to.equal(2);
  });

  it('get(args) judges by the decorator expiration time, not the region one (dogpile issue 152, fixed)', async () => {
    const { go: shortGo } = counting(makeRegion().configure('memory', { expirationTime: -1 }), { expirationTime: SHORT_MS });
    shortGo(1, 2);
    await sleep(PAST_SHORT_MS);
    expect(await shortGo.get(1, 2)).to.equal(NO_VALUE);

    const { go: longGo } = counting(makeRegion().configure('memory', { expirationTime: SHORT_MS }), { expirationTime: LONG });
    longGo(1, 2);
    await sleep(PAST_SHORT_MS);
    expect(await longGo.get(1, 2)).to.deep.equal([1, 1, 2]);
  });

  it('refresh(args) calls the function without the lock, stores and returns the new value (D11)', async () => {
    const region = makeRegion().configure('memory');
    const { go } = counting(region);
    expect(go(1, 2)).to.deep.equal([1, 1, 2]);
    let lockedDuringRefresh: boolean | undefined;
    const watched = region.cacheOnArguments()(function watched(n: number) {
      lockedDuringRefresh = region.keyIsLockedSync(`watched|${n}`);
      return n;
    });
    expect(await go.refresh(1, 2)).to.deep.equal([2, 1, 2]);
    expect(go(1, 2)).to.deep.equal([2, 1, 2]);
    await watched.refresh(7);
    expect(lockedDuringRefresh).to.equal(false);
    expect(watched(7)).to.equal(7);
  });

  it('original is the undecorated function (D16)', () => {
    function generate(a: number, b: number): number {
      return a + b;
    }
    const decorated = makeRegion().configure('memory').cacheOnArguments()(generate);
    expect(decorated.original).to.equal(generate);
  });

  it('shouldCacheFn decides what is stored; every result is returned', async () => {
    const region = makeRegion().configure('memory');
    let counter = 0;
    const next = region.cacheOnArguments({ shouldCacheFn: (value: number) => value % 2 === 0 })(function next(_key: string) {
      return ++counter;
    });
    expect(next('a')).to.equal(1);
    expect(next('a')).to.equal(2);
    expect(next('a')).to.equal(2);
    expect(await next.get('a')).to.equal(2);
  });

  it('a custom key generator decides which calls share an entry (D13)', () => {
    const region = makeRegion().configure('memory');
    let calls = 0;
    const go = region.cacheOnArguments({
      functionKeyGenerator: (namespace, fn) => (first) => `${fn.name}|${String(namespace)}|${String(first)}`,
    })(function go(a: number, b: number) {
      calls++;
      return a * 10 + b;
    });
    expect(go(1, 2)).to.equal(12);
    expect(go(1, 3)).to.equal(12);
    expect(go(2, 3)).to.equal(23);
    expect(calls).to.equal(2);
  });

  it('the region key generator is the default; a custom toStr renders the arguments', () => {
    const recorder = new KeyRecordingProxy();
    const region = makeRegion({ functionKeyGenerator: kwargFunctionKeyGenerator }).configure('memory', { wrap: [recorder] });
    let calls = 0;
    const search = region.cacheOnArguments()(function search(text: string, options: { limit?: number; sort?: string } = {}) {
      calls++;
      return `${text}:${options.limit ?? 10}:${options.sort ?? 'none'}`;
    });
    expect(search('q', { sort: 'date', limit: 5 })).to.equal('q:5:date');
    expect(search('q', { limit: 5, sort: 'date' })).to.equal('q:5:date');
    expect(calls).to.equal(1);
    const upper = region.cacheOnArguments({ toStr: (value) => String(value).toUpperCase() })(function upper(s: string) {
      return s;
    });
    upper('abc');
    expect(recorder.written).to.deep.equal(['search|q limit=5 sort=date', 'upper|ABC']);
  });

  it('object arguments with keys in another order hit the same entry', () => {
    const region = makeRegion().configure('memory');
    let calls = 0;
    const find = region.cacheOnArguments()(function find(query: Record<string, unknown>) {
      calls++;
      return Object.keys(query).length;
    });
    find({ status: 'open', owner: { id: 1, team: 'a' } });
    find({ owner: { team: 'a', id: 1 }, status: 'open' });
    expect(calls).to.equal(1);
    find({ owner: { team: 'b', id: 1 }, status: 'open' });
    expect(calls).to.equal(2);
  });

  it('decorators can be made before configure(); the backend is only needed at call time', async () => {
    const region = makeRegion();
    let calls = 0;
    const square = region.cacheOnArguments()(function square(n: number) {
      calls++;
      return n * n;
    });
    const load = region.cacheOnArguments()(async function load(n: number) {
      return n;
    });
    expect(() => square(2)).to.throw(RegionNotConfigured);
    let rejected: unknown;
    await load(1).catch((error: unknown) => (rejected = error));
    expect(rejected).to.be.instanceOf(RegionNotConfigured);
    region.configure('memory');
    expect(square(3)).to.equal(9);
    expect(square(3)).to.equal(9);
    expect(calls).to.equal(1);
  });

  describe('synchronous and asynchronous paths', () => {
    it('a plain function on a sync backend returns a plain value, not a promise', () => {
      const region = makeRegion().configure('memory');
      const double = region.cacheOnArguments()(function double(n: number) {
        return n * 2;
      });
      const first = double(2);
      const second = double(2);
      expect(first).to.equal(4);
      expect(second).to.equal(4);
      expect(region.getSync('double|2')).to.equal(4);
    });

    it('an async function returns a promise, and concurrent cold calls run it once', async () => {
      const region = makeRegion().configure('memory');
      let calls = 0;
      const fetchUser = region.cacheOnArguments()(async function fetchUser(id: number) {
        calls++;
        await sleep(10);
        return { id, name: `user ${id}` };
      });
      const pending = Array.from({ length: 20 }, () => fetchUser(7));
      expect(pending[0]).to.be.instanceOf(Promise);
      const users = await Promise.all(pending);
      expect(calls).to.equal(1);
      expect(users.every((user) => user.name === 'user 7')).to.equal(true);
      expect(await fetchUser(7)).to.deep.equal({ id: 7, name: 'user 7' });
    });

    it('a plain function found returning a promise switches to the async path, without a second call', async () => {
      const region = makeRegion().configure('memory');
      let calls = 0;
      const lookup = region.cacheOnArguments()(function lookup(n: number): Promise<number> {
        calls++;
        return Promise.resolve(n + 1);
      });
      const first = lookup(1);
      expect(first).to.be.instanceOf(Promise);
      expect(await first).to.equal(2);
      expect(calls).to.equal(1);
      const second = lookup(1);
      expect(second).to.be.instanceOf(Promise);
      expect(await second).to.equal(2);
      expect(await lookup(5)).to.equal(6);
      expect(calls).to.equal(2);
    });

    it('sync: false always returns a promise; sync: true refuses an async function', async () => {
      const region = makeRegion().configure('memory');
      const viaPromise = region.cacheOnArguments({ sync: false })(function viaPromise(n: number) {
        return n;
      });
      const result = viaPromise(3);
      expect(result).to.be.instanceOf(Promise);
      expect(await result).to.equal(3);
      const forced = region.cacheOnArguments({ sync: true })(async function forced(n: number) {
        return n;
      });
      expect(() => forced(1)).to.throw(TypeError, /returned a promise/);
    });

    it('a plain function over a backend that cannot answer synchronously returns a promise', async () => {
      class AsyncReads extends ProxyBackend {
        override async get(key: string) {
          return await super.get(key);
        }
      }
      const region = makeRegion().configure('memory', { wrap: [AsyncReads] });
      const double = region.cacheOnArguments()(function double(n: number) {
        return n * 2;
      });
      const result = double(4);
      expect(result).to.be.instanceOf(Promise);
      expect(await result).to.equal(8);
    });

    it('a creator error reaches the caller on both paths and nothing is cached', async () => {
      const region = makeRegion().configure('memory');
      let fail = true;
      const flaky = region.cacheOnArguments()(function flaky(n: number) {
        if (fail) throw new Error(`boom ${n}`);
        return n;
      });
      expect(() => flaky(1)).to.throw('boom 1');
      fail = false;
      expect(flaky(1)).to.equal(1);
      let failAsync = true;
      const flakyAsync = region.cacheOnArguments()(async function flakyAsync(n: number) {
        if (failAsync) throw new Error(`async boom ${n}`);
        return n;
      });
      let caught: unknown;
      await flakyAsync(2).catch((error: unknown) => (caught = error));
      expect((caught as Error).message).to.equal('async boom 2');
      expect(await flakyAsync.get(2)).to.equal(NO_VALUE);
      failAsync = false;
      expect(await flakyAsync(2)).to.equal(2);
    });

    it('a soft-invalidated value goes to the async creation runner under the generated key (C04)', async () => {
      const handedOver: string[] = [];
      const region = makeRegion({
        asyncCreationRunner: (target: CacheRegion, key: string, creator: () => unknown, mutex: CacheMutex) => {
          handedOver.push(key);
          void (async () => {
            try {
              await target.set(key, await creator());
            } finally {
              await mutex.release();
            }
          })();
        },
      }).configure('memory', { expirationTime: LONG });
      const { go } = counting(region);
      expect(go(1, 2)).to.deep.equal([1, 1, 2]);
      expect(go(1, 2)).to.deep.equal([1, 1, 2]);
      // Invalidation compares millisecond timestamps: let the clock move past the creation.
      await sleep(5);
      region.invalidate({ hard: false });
      expect(go(1, 2)).to.deep.equal([1, 1, 2]);
      expect(handedOver).to.deep.equal(['go|1 2']);
      await sleep(10);
      expect(go(1, 2)).to.deep.equal([2, 1, 2]);
    });
  });

  describe('as a TC39 method decorator', () => {
    it('caches methods under the method name; `this` is the instance but never part of the key', async () => {
      const recorder = new KeyRecordingProxy();
      const region = makeRegion().configure('memory', { wrap: [recorder] });
      class PriceList {
        calls = 0;
        constructor(private readonly rate: number) {}

        @region.cacheOnArguments({ namespace: 'prices' })
        price(cents: number): number {
          this.calls++;
          return cents * this.rate;
        }

        @region.cacheOnArguments()
        async priceLater(cents: number): Promise<number> {
          this.calls++;
          return cents * this.rate;
        }
      }
      const euros = new PriceList(2);
      const dollars = new PriceList(3);
      expect(euros.price(10)).to.equal(20);
      expect(euros.price(10)).to.equal(20);
      // Instances share entries: instance state is not in the key (use a namespace or a key generator).
      expect(dollars.price(10)).to.equal(20);
      expect([euros.calls, dollars.calls]).to.deep.equal([1, 0]);
      expect(await euros.priceLater(5)).to.equal(10);
      expect(recorder.written).to.deep.equal(['price|prices|10', 'priceLater|5']);

      await controls(euros.price).invalidate(10);
      expect(dollars.price(10)).to.equal(30);
      await controls(euros.price).set(99, 10);
      expect(euros.price(10)).to.equal(99);
      expect(await controls(euros.price).get(10)).to.equal(99);
      expect(controls(euros.price).original).to.be.a('function');
      expect(controls(euros.price).original.call(dollars, 1)).to.equal(3);
    });

    it('refresh on a method runs against the instance it is called with', async () => {
      const region = makeRegion().configure('memory');
      class Counter {
        constructor(private readonly base: number) {}
        @region.cacheOnArguments()
        total(n: number): number {
          return this.base + n;
        }
      }
      const ten = new Counter(10);
      const hundred = new Counter(100);
      expect(ten.total(1)).to.equal(11);
      expect(await controls(ten.total).refresh.call(hundred, 1)).to.equal(101);
      expect(ten.total(1)).to.equal(101);
      // Without an instance there is no `this` to run the method on: say so instead of failing inside it.
      let thrown: unknown;
      try {
        await controls(ten.total).refresh(1);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(TypeError);
      expect((thrown as Error).message).to.contain('refresh.call(instance');
    });

    it('static methods are cached and refreshed against their class; nested cached calls do not deadlock (D17)', async () => {
      const region = makeRegion().configure('memory');
      class Inner {
        static factor = 2;
        @region.cacheOnArguments({ namespace: 'inner' })
        static generate(n: number): number {
          return n * this.factor;
        }
      }
      class Outer {
        @region.cacheOnArguments({ namespace: 'outer' })
        static generate(n: number): number {
          return Inner.generate(n) + 1;
        }
      }
      expect(Outer.generate(5)).to.equal(11);
      expect(Outer.generate(5)).to.equal(11);
      expect(region.getSync('generate|inner|5')).to.equal(10);
      Inner.factor = 3;
      expect(await controls(Inner.generate).refresh(5)).to.equal(15);
      expect(Inner.generate(5)).to.equal(15);
    });

    it('refuses to decorate anything but a method, naming it', () => {
      const region = makeRegion().configure('memory');
      const getterContext = { kind: 'getter', name: 'total', static: false, private: false } as unknown as ClassMethodDecoratorContext;
      const decorate = region.cacheOnArguments() as unknown as (fn: () => number, context: ClassMethodDecoratorContext) => unknown;
      expect(() => decorate(() => 1, getterContext)).to.throw(TypeError, /getter \(total\)/);
    });

    it('multi-argument methods keep `this` too', async () => {
      const region = makeRegion().configure('memory');
      class Catalog {
        calls: number[][] = [];
        constructor(private readonly prefix: string) {}
        @region.cacheMultiOnArguments()
        async names(...ids: number[]): Promise<string[]> {
          this.calls.push(ids);
          return ids.map((id) => `${this.prefix}${id}`);
        }
      }
      const catalog = new Catalog('item-');
      expect(await catalog.names(2, 1)).to.deep.equal(['item-2', 'item-1']);
      expect(await catalog.names(1, 3)).to.deep.equal(['item-1', 'item-3']);
      expect(catalog.calls).to.deep.equal([[1, 2], [3]]);
      const names = catalog.names as unknown as CachedMultiFunction<number, string, string[]>;
      expect(await names.refresh.call(new Catalog('new-'), 1)).to.deep.equal(['new-1']);
      expect(await catalog.names(1, 2)).to.deep.equal(['new-1', 'item-2']);
    });
  });
});

describe('cacheMultiOnArguments', () => {
  /** `generate(...args)` from dogpile's tests: each value is "arg callnumber", numbered in call order. */
  function multiCounting(region: CacheRegion, options: CacheMultiOnArgumentsOptions<string> & { asDict?: false } = {}) {
    let counter = 0;
    const received: number[][] = [];
    const generate = region.cacheMultiOnArguments<string>(options)(function generate(...args: number[]): string[] {
      received.push(args);
      return args.map((arg) => `${arg} ${++counter}`);
    });
    return { generate, received };
  }

  it('calls the function once with only the missing arguments, sorted by generated key (D18, B21)', async () => {
    const { generate, received } = multiCounting(makeRegion().configure('memory'));
    // Keys sort as strings: "generate|10" < "generate|2" < "generate|8".
    expect(await generate(2, 8, 10)).to.deep.equal(['2 2', '8 3', '10 1']);
    expect(received).to.deep.equal([[10, 2, 8]]);
    expect(await generate(2, 9, 10)).to.deep.equal(['2 2', '9 4', '10 1']);
    expect(received[1]).to.deep.equal([9]);
    await generate.invalidate(2);
    expect(await generate(2, 7, 10)).to.deep.equal(['2 5', '7 6', '10 1']);
    await generate.set({ 7: '18', 10: '15' });
    expect(await generate(2, 7, 10)).to.deep.equal(['2 5', '18', '15']);
    expect(received).to.have.length(3);
  });

  it('get returns cached values aligned with the arguments, NO_VALUE where missing (D09)', async () => {
    const { generate } = multiCounting(makeRegion().configure('memory'));
    await generate(1);
    expect(await generate.get(3, 1)).to.deep.equal([NO_VALUE, '1 1']);
    await generate(3, 1);
    expect(await generate.get(3, 1)).to.deep.equal(['3 2', '1 1']);
  });

  it('set takes a plain object or a Map keyed by argument (D10)', async () => {
    const { generate, received } = multiCounting(makeRegion().configure('memory'));
    await generate.set({ 1: '1 5', 2: '1 6' });
    expect(await generate(1, 2)).to.deep.equal(['1 5', '1 6']);
    await generate.set(new Map([[3, 'three']]));
    expect(await generate(3)).to.deep.equal(['three']);
    expect(received).to.have.length(0);
  });

  it('refresh regenerates every argument given (D12)', async () => {
    const { generate } = multiCounting(makeRegion().configure('memory'));
    expect(await generate(1, 2)).to.deep.equal(['1 1', '2 2']);
    expect(await generate.refresh(1, 2)).to.deep.equal(['1 3', '2 4']);
    expect(await generate(1, 2)).to.deep.equal(['1 3', '2 4']);
  });

  it('uses the namespace in every key (D22)', async () => {
    const recorder = new KeyRecordingProxy();
    const { generate } = multiCounting(makeRegion().configure('memory', { wrap: [recorder] }), { namespace: 'foo' });
    await generate(2, 8, 10);
    await generate(2, 9, 10);
    expect([...recorder.written].sort()).to.deep.equal(['generate|foo|10', 'generate|foo|2', 'generate|foo|8', 'generate|foo|9']);
  });

  it('regenerates expired values only, judged by a per-call expiration function', async () => {
    let expiration: Duration = LONG;
    let evaluations = 0;
    const { generate } = multiCounting(makeRegion().configure('memory'), {
      expirationTime: () => {
        evaluations++;
        return expiration;
      },
    });
    await generate(1, 2);
    await sleep(PAST_SHORT_MS);
    expect(await generate(1, 2)).to.deep.equal(['1 1', '2 2']);
    expiration = SHORT_MS;
    expect(await generate.get(1)).to.deep.equal([NO_VALUE]);
    expect(await generate(1, 2)).to.deep.equal(['1 3', '2 4']);
    expect(evaluations).to.equal(4);
  });

  it('a custom multi key generator: results follow the generated keys (D14)', async () => {
    const region = makeRegion().configure('memory');
    const generate = region.cacheMultiOnArguments<string>({
      functionMultiKeyGenerator: (_namespace, fn) => (...args) => args.map((arg) => `${fn.name}|${String(arg)}`).reverse(),
    })(function generate(...args: number[]) {
      return args.map((arg) => `${arg} made`);
    });
    await region.set('generate|1', '1 2');
    expect(await generate.get(3, 1)).to.deep.equal(['1 2', NO_VALUE]);
  });

  it('repeated arguments are created once and answered for each position', async () => {
    const { generate, received } = multiCounting(makeRegion().configure('memory'));
    expect(await generate(4, 4, 5)).to.deep.equal(['4 1', '4 1', '5 2']);
    expect(received).to.deep.equal([[4, 5]]);
  });

  it('a function returning the wrong number of values is a TypeError naming the keys', async () => {
    const region = makeRegion().configure('memory');
    const broken = region.cacheMultiOnArguments()(function broken(...args: number[]) {
      return args.slice(1);
    });
    let thrown: unknown;
    await broken(1, 2).catch((error: unknown) => (thrown = error));
    expect(thrown).to.be.instanceOf(TypeError);
    expect((thrown as Error).message).to.contain('broken|1').and.to.contain('broken|2');
  });

  it('shouldCacheFn is consulted per value', async () => {
    const { generate, received } = multiCounting(makeRegion().configure('memory'), { shouldCacheFn: (value: string) => !value.startsWith('8 ') });
    await generate(2, 8);
    await generate(2, 8);
    expect(received).to.deep.equal([[2, 8], [8]]);
  });

  describe('asDict', () => {
    it('a Map in, a Map out; refresh returns a Map and updates the cache (D19)', async () => {
      const region = makeRegion().configure('memory');
      const calls: number[][] = [];
      const squares = region.cacheMultiOnArguments<number>({ asDict: true })(function squares(...args: number[]) {
        calls.push(args);
        return new Map(args.map((arg) => [arg, arg * arg + calls.length * 1000]));
      });
      const first = await squares(2, 3);
      expect(first).to.be.instanceOf(Map);
      expect([...(first as Map<number, number>)]).to.deep.equal([[2, 1004], [3, 1009]]);
      const hit = await squares(2, 3);
      expect(hit).to.be.instanceOf(Map);
      expect([...(hit as Map<number, number>)]).to.deep.equal([[2, 1004], [3, 1009]]);
      const refreshed = await squares.refresh(2, 7);
      expect(refreshed).to.be.instanceOf(Map);
      expect([...(refreshed as Map<number, number>)]).to.deep.equal([[2, 2004], [7, 2049]]);
      expect(await squares.get(2, 7, 3)).to.deep.equal([2004, 2049, 1009]);
      expect(calls).to.have.length(2);
    });

    it('an object in, an object out, also when every value comes from the cache', async () => {
      const region = makeRegion().configure('memory');
      const labels = region.cacheMultiOnArguments<string>({ asDict: true })(function labels(...ids: string[]) {
        return Object.fromEntries(ids.map((id) => [id, `label ${id}`]));
      });
      expect(await labels('a', 'b')).to.deep.equal({ a: 'label a', b: 'label b' });
      const hit = await labels('b', 'a');
      expect(hit).to.not.be.instanceOf(Map);
      expect(hit).to.deep.equal({ a: 'label a', b: 'label b' });
    });

    it('a Map-returning function still returns a Map when every value comes from the cache', async () => {
      const region = makeRegion().configure('memory');
      const doubled = region.cacheMultiOnArguments<number>({ asDict: true })(function doubled(...args: number[]) {
        return new Map(args.map((arg) => [arg, arg * 2]));
      });
      await doubled(1, 2);
      const hit = await doubled(1, 2);
      expect(hit).to.be.instanceOf(Map);
      expect((hit as Map<number, number>).get(2)).to.equal(4);
    });

    it('arguments the function leaves out are neither cached nor returned, until set (D20)', async () => {
      const region = makeRegion().configure('memory');
      let calls = 0;
      const partial = region.cacheMultiOnArguments<string>({ asDict: true })(function partial(...args: number[]) {
        calls++;
        return new Map(args.filter((arg) => arg !== 10).map((arg) => [arg, `${arg} ${calls}`]));
      });
      const first = (await partial(2, 8, 10)) as Map<number, string>;
      expect([...first]).to.deep.equal([[2, '2 1'], [8, '8 1']]);
      expect(await region.get('partial|10')).to.equal(NO_VALUE);
      const second = (await partial(2, 8, 10)) as Map<number, string>;
      expect(second.has(10)).to.equal(false);
      expect(calls).to.equal(2);
      await partial.set(new Map([[10, 'fifteen']]));
      expect([...((await partial(2, 8, 10)) as Map<number, string>)]).to.deep.equal([[2, '2 1'], [8, '8 1'], [10, 'fifteen']]);
      expect(calls).to.equal(2);
    });

    it('with shouldCacheFn, a rejected value regenerates on every call while the others stay cached (D21)', async () => {
      const region = makeRegion().configure('memory');
      let calls = 0;
      const made = region.cacheMultiOnArguments<string>({ asDict: true, shouldCacheFn: (value: string) => !value.startsWith('8 ') })(
        function made(...args: number[]) {
          calls++;
          return Object.fromEntries(args.map((arg) => [arg, `${arg} ${calls}`]));
        },
      );
      expect(await made(2, 8)).to.deep.equal({ 2: '2 1', 8: '8 1' });
      expect(await made(2, 8)).to.deep.equal({ 2: '2 1', 8: '8 2' });
      expect(await made(2, 8)).to.deep.equal({ 2: '2 1', 8: '8 3' });
    });
  });

  it('over any sequence of calls: results align with the arguments and each argument is created once (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.integer({ min: -20, max: 120 }), { maxLength: 8 }), { minLength: 1, maxLength: 6 }), async (calls) => {
        const region = makeRegion().configure('memory');
        const received: number[][] = [];
        const label = region.cacheMultiOnArguments<string>()(function label(...args: number[]) {
          received.push(args);
          return args.map((arg) => `#${arg}`);
        });
        for (const args of calls) expect(await label(...args)).to.deep.equal(args.map((arg) => `#${arg}`));
        const created = received.flat();
        expect(new Set(created).size).to.equal(created.length);
        expect(new Set(created)).to.deep.equal(new Set(calls.flat()));
        for (const batch of received) {
          expect(batch).to.deep.equal([...batch].sort((a, b) => (`label|${a}` < `label|${b}` ? -1 : 1)));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('the multi wrapper exposes the undecorated function', () => {
    function generate(...args: number[]): number[] {
      return args;
    }
    const decorated: CachedMultiFunction<number, number, unknown> = makeRegion().configure('memory').cacheMultiOnArguments<number>()(generate);
    expect(decorated.original).to.equal(generate);
  });
});
