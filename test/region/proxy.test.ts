import { expect } from 'chai';
import {
  CachedValue,
  MemoryBackend,
  MemorySerializedBackend,
  makeRegion,
  NO_VALUE,
  ProxyBackend,
  type MaybePromise,
  type NoValue,
  type StoredValue,
} from '../../src/index.js';

/** Counts the reads that pass through it. */
class GetCounterProxy extends ProxyBackend {
  gets = 0;
  override get(key: string): MaybePromise<StoredValue | NoValue> {
    this.gets++;
    return super.get(key);
  }
}

/** Counts the writes that pass through it. */
class SetCounterProxy extends ProxyBackend {
  sets = 0;
  override set(key: string, value: StoredValue): MaybePromise<void> {
    this.sets++;
    return super.set(key, value);
  }
}

/** Drops writes of one key: a proxy configured through its constructor (C09). */
class NeverSetProxy extends ProxyBackend {
  constructor(private readonly neverKey: string) {
    super();
  }
  override set(key: string, value: StoredValue): MaybePromise<void> {
    if (key === this.neverKey) return;
    return this.proxied.set(key, value);
  }
}

/** Records what it sees on the way in and out (C06). */
class RecordingProxy extends ProxyBackend {
  readonly seenOnSet: StoredValue[] = [];
  readonly seenOnGet: Array<StoredValue | NoValue> = [];
  override set(key: string, value: StoredValue): MaybePromise<void> {
    this.seenOnSet.push(value);
    return this.proxied.set(key, value);
  }
  override get(key: string): MaybePromise<StoredValue | NoValue> {
    const found = this.proxied.get(key) as StoredValue | NoValue;
    this.seenOnGet.push(found);
    return found;
  }
}

/** Rewrites payloads on their way into the store: proxies may change the CachedValue. */
class UppercasingProxy extends ProxyBackend {
  override set(key: string, value: StoredValue): MaybePromise<void> {
    const cached = value as CachedValue<string>;
    return this.proxied.set(key, new CachedValue(cached.payload.toUpperCase(), cached.metadata));
  }
}

/** A proxy whose reads are asynchronous: it cannot sit under the synchronous API. */
class AsyncGetProxy extends ProxyBackend {
  gets = 0;
  override async get(key: string): Promise<StoredValue | NoValue> {
    this.gets++;
    return await super.get(key);
  }
}

describe('ProxyBackend', () => {
  it('proxies see CachedValue objects on set and on get for a backend that stores values (C06)', async () => {
    const proxy = new RecordingProxy();
    const region = makeRegion().configure('memory', { wrap: [proxy] });
    await region.set('k', 'v');
    expect(await region.get('k')).to.equal('v');
    expect(proxy.seenOnSet).to.have.length(1);
    expect(proxy.seenOnSet[0]).to.be.instanceOf(CachedValue);
    expect((proxy.seenOnSet[0] as CachedValue).payload).to.equal('v');
    expect(proxy.seenOnGet[0]).to.be.instanceOf(CachedValue);
  });

  it('proxies see envelope bytes for a backend that stores bytes', async () => {
    const proxy = new RecordingProxy();
    const region = makeRegion().configure('memory-serialized', { wrap: [proxy] });
    await region.set('k', { a: 1 });
    expect(proxy.seenOnSet[0]).to.be.instanceOf(Uint8Array);
    expect(await region.get('k')).to.deep.equal({ a: 1 });
    expect(proxy.serialized).to.equal(true);
  });

  it('a proxy may change the value it passes on', async () => {
    const region = makeRegion().configure('memory', { wrap: [UppercasingProxy] });
    await region.set('k', 'quiet');
    expect(await region.get('k')).to.equal('QUIET');
    expect(await region.getOrCreate('created', () => 'made')).to.equal('made');
    expect(await region.get('created')).to.equal('MADE');
  });

  it('stacked counters: sets reach the set counter only, gets the get counter only, deletes pass through (C07)', async () => {
    const getCounter = new GetCounterProxy();
    const setCounter = new SetCounterProxy();
    const region = makeRegion().configure('memory', { wrap: [getCounter, setCounter] });
    for (let i = 0; i < 10; i++) await region.set(`k${i}`, i);
    expect(setCounter.sets).to.equal(10);
    expect(getCounter.gets).to.equal(0);
    for (let i = 0; i < 10; i++) expect(await region.get(`k${i}`)).to.equal(i);
    expect(getCounter.gets).to.equal(10);
    expect(setCounter.sets).to.equal(10);
    await region.delete('k0');
    expect(await region.get('k0')).to.equal(NO_VALUE);
    expect(getCounter.gets).to.equal(11);
  });

  it('stacked counters also count the synchronous API and the decorators on a sync backend', () => {
    const getCounter = new GetCounterProxy();
    const setCounter = new SetCounterProxy();
    const region = makeRegion().configure('memory', { wrap: [getCounter, setCounter] });
    region.setSync('a', 1);
    expect(region.getSync('a')).to.equal(1);
    expect(region.getOrCreateSync('b', () => 2)).to.equal(2);
    // getSync: one read; getOrCreateSync on a missing key: a read, then a read again under the lock.
    expect([getCounter.gets, setCounter.sets]).to.deep.equal([3, 2]);
    const square = region.cacheOnArguments()(function square(n: number) {
      return n * n;
    });
    expect(square(3)).to.equal(9);
    expect(square(3)).to.equal(9);
    // First call: a read, a read again under the lock, one write; second call: one read.
    expect(setCounter.sets).to.equal(3);
    expect(getCounter.gets).to.be.greaterThan(2);
  });

  it('two instances of the same proxy class keep independent state (C08)', async () => {
    const first = new GetCounterProxy();
    const second = new GetCounterProxy();
    const regionA = makeRegion().configure('memory', { wrap: [first] });
    const regionB = makeRegion().configure('memory', { wrap: [second] });
    await regionA.get('x');
    await regionA.get('y');
    await regionB.get('x');
    expect([first.gets, second.gets]).to.deep.equal([2, 1]);
  });

  it('a proxy with constructor arguments: the key it refuses is never stored, others are (C09)', async () => {
    const region = makeRegion().configure('memory', { wrap: [new NeverSetProxy('5')] });
    await region.set('5', 'five');
    await region.set('1', 'one');
    expect(await region.get('5')).to.equal(NO_VALUE);
    expect(await region.get('1')).to.equal('one');
    // getOrCreate still hands back what it created, even when the proxy did not store it.
    let calls = 0;
    expect(await region.getOrCreate('5', () => ++calls)).to.equal(1);
    expect(await region.getOrCreate('5', () => ++calls)).to.equal(2);
  });

  it('backend is the outermost proxy and actualBackend the real backend; without proxies both are the backend (C10)', () => {
    const wrapped = makeRegion().configure('memory', { wrap: [GetCounterProxy, SetCounterProxy] });
    expect(wrapped.backend).to.be.instanceOf(GetCounterProxy);
    expect((wrapped.backend as ProxyBackend).proxied).to.be.instanceOf(SetCounterProxy);
    expect(wrapped.actualBackend).to.be.instanceOf(MemoryBackend);
    const plain = makeRegion().configure('memory-serialized');
    expect(plain.backend).to.be.instanceOf(MemorySerializedBackend);
    expect(plain.actualBackend).to.equal(plain.backend);
  });

  it('actualBackend follows later wrap() calls, and each wrap() makes the new proxy outermost', async () => {
    const region = makeRegion().configure('memory');
    const real = region.actualBackend;
    expect(region.backend).to.equal(real);
    const inner = new SetCounterProxy();
    region.wrap(inner);
    expect(region.backend).to.equal(inner);
    expect(region.actualBackend).to.equal(real);
    region.wrap(GetCounterProxy);
    const outer = region.backend as GetCounterProxy;
    expect(outer).to.be.instanceOf(GetCounterProxy);
    expect(outer.proxied).to.equal(inner);
    expect(region.actualBackend).to.equal(real);
    await region.set('k', 1);
    expect(await region.get('k')).to.equal(1);
    expect([inner.sets, outer.gets]).to.deep.equal([1, 1]);
  });

  it('actualBackend follows a replaced backend', () => {
    const region = makeRegion().configure('memory', { wrap: [GetCounterProxy] });
    const before = region.actualBackend;
    region.configure('memory-serialized', { replaceExistingBackend: true, wrap: [GetCounterProxy] });
    expect(region.actualBackend).to.not.equal(before);
    expect(region.actualBackend).to.be.instanceOf(MemorySerializedBackend);
  });

  it('wrap() and configure({ wrap }) reject what is not a ProxyBackend, naming it', () => {
    const region = makeRegion().configure('memory');
    expect(() => region.wrap({ get: () => NO_VALUE } as unknown as ProxyBackend)).to.throw(TypeError, /is not a valid ProxyBackend/);
    expect(() => makeRegion().configure('memory', { wrap: ['GetCounterProxy' as unknown as ProxyBackend] })).to.throw(TypeError, /"GetCounterProxy"/);
    expect(() => new GetCounterProxy().wrap(42 as unknown as MemoryBackend)).to.throw(TypeError, /42/);
  });

  it('a proxy used before it wraps anything says so', () => {
    expect(() => new GetCounterProxy().get('k')).to.throw(TypeError, /GetCounterProxy is not wrapping a backend yet/);
  });

  it('the multi operations pass through proxies', async () => {
    const recording = new RecordingProxy();
    const region = makeRegion().configure('memory', { wrap: [recording] });
    await region.setMulti({ a: 1, b: 2 });
    expect(await region.getMulti(['a', 'b', 'c'])).to.deep.equal([1, 2, NO_VALUE]);
    expect(region.getMultiSync(['b'])).to.deep.equal([2]);
    await region.deleteMulti(['a']);
    expect(await region.get('a')).to.equal(NO_VALUE);
    expect(await region.getOrCreateMulti(['x', 'b'], (keys) => keys.map((key) => `new ${key}`))).to.deep.equal(['new x', 2]);
    expect(await region.get('x')).to.equal('new x');
  });

  it('the lock of the backend under the proxies is the one getOrCreate takes', async () => {
    const region = makeRegion().configure('memory', { wrap: [GetCounterProxy, SetCounterProxy] });
    let lockedInside = false;
    await region.getOrCreate('k', async () => {
      lockedInside = await region.keyIsLocked('k');
      return 1;
    });
    expect(lockedInside).to.equal(true);
    expect(await region.keyIsLocked('k')).to.equal(false);
  });

  it('a proxy with an async get makes the region asynchronous instead of being bypassed', async () => {
    const proxy = new AsyncGetProxy();
    const region = makeRegion().configure('memory', { wrap: [proxy] });
    expect(region.supportsSync).to.equal(false);
    expect(() => region.getSync('k')).to.throw(TypeError, /synchronously/);
    const half = region.cacheOnArguments()(function half(n: number) {
      return n / 2;
    });
    const result = half(8);
    expect(result).to.be.instanceOf(Promise);
    expect(await result).to.equal(4);
    expect(await half(8)).to.equal(4);
    expect(proxy.gets).to.be.greaterThan(1);
  });

  it('an async proxy wrapped later never lets the sync API skip it silently', () => {
    const region = makeRegion().configure('memory');
    expect(region.supportsSync).to.equal(true);
    region.wrap(AsyncGetProxy);
    expect(region.supportsSync).to.equal(false);
    expect(() => region.getSync('k')).to.throw(TypeError, /cannot answer synchronously/);
  });
});

