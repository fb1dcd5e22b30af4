import { expect } from 'chai';
import { CachedValue, makeRegion, NO_VALUE, ProxyBackend, type StoredValue } from '../../src/index.js';
import { sleep } from '../../src/time.js';

describe('region reads and writes', () => {
  it('set then get; a missing key is NO_VALUE, also with a per-call expiration time', async () => {
    const region = makeRegion().configure('memory');
    await region.set('k', { v: 1 });
    expect(await region.get('k')).to.deep.equal({ v: 1 });
    expect(await region.get('missing')).to.equal(NO_VALUE);
    expect(await region.get('missing', { expirationTime: 10 })).to.equal(NO_VALUE);
  });

  it('NO_VALUE is distinct from cached undefined and null, and prints as NoValue.NO_VALUE', async () => {
    const region = makeRegion().configure('memory-serialized');
    await region.set('u', undefined);
    await region.set('n', null);
    expect(await region.get('u')).to.equal(undefined);
    expect(await region.get('n')).to.equal(null);
    expect(String(NO_VALUE)).to.equal('NoValue.NO_VALUE');
  });

  it('expired values: get misses, ignoreExpiration serves, a per-call expiration time is not stored', async () => {
    const region = makeRegion().configure('memory', { expirationTime: 30 });
    await region.set('k', 'v1');
    expect(await region.get('k')).to.equal('v1');
    await sleep(50);
    expect(await region.get('k')).to.equal(NO_VALUE);
    expect(await region.get('k', { ignoreExpiration: true })).to.equal('v1');
    expect(await region.get('k', { expirationTime: '5s' })).to.equal('v1');
    expect(await region.get('k')).to.equal(NO_VALUE);
  });

  it('expirationTime -1 means never expires everywhere, 0 means always expired', async () => {
    const region = makeRegion().configure('memory', { expirationTime: 20 });
    let calls = 0;
    await region.getOrCreate('k', () => ++calls);
    await sleep(40);
    expect(await region.get('k', { expirationTime: -1 })).to.equal(1);
    expect(await region.getOrCreate('k', () => ++calls, { expirationTime: -1 })).to.equal(1);
    expect(await region.getOrCreate('k', () => ++calls)).to.equal(2);
    expect(await region.getOrCreate('k', () => ++calls, { expirationTime: 0 })).to.equal(3);
    expect(await region.get('k', { expirationTime: 0 })).to.equal(NO_VALUE);
  });

  it('a per-call expiration time on getOrCreate leaves later plain reads to the region default', async () => {
    const region = makeRegion().configure('memory', { expirationTime: '5s' });
    let calls = 0;
    await region.getOrCreate('k', () => ++calls, { expirationTime: 20 });
    await sleep(40);
    expect(await region.get('k')).to.equal(1);
    expect(await region.getOrCreate('k', () => ++calls, { expirationTime: 20 })).to.equal(2);
  });

  it('getValueMetadata: payload, cachedTime, age; undefined when missing or expired unless ignored', async () => {
    const region = makeRegion().configure('memory', { expirationTime: '1m' });
    const before = Date.now();
    await region.set('k', 'v');
    await sleep(30);
    const meta = await region.getValueMetadata('k');
    expect(meta).to.be.instanceOf(CachedValue);
    expect(meta!.payload).to.equal('v');
    expect(meta!.cachedTime).to.be.within(before, Date.now() + 1);
    expect(meta!.age).to.be.at.least(25);
    expect(await region.getValueMetadata('missing')).to.equal(undefined);
    expect(await region.getValueMetadata('k', { expirationTime: 10 })).to.equal(undefined);
    expect((await region.getValueMetadata('k', { expirationTime: 10, ignoreExpiration: true }))!.payload).to.equal('v');
  });

  it('a stored value of another format version is a miss on every read path', async () => {
    const region = makeRegion().configure('memory', { expirationTime: '1m' });
    await region.backend.set('old-format', new CachedValue('ancient', { ct: Date.now(), v: 1 }));
    expect(await region.get('old-format')).to.equal(NO_VALUE);
    expect(region.getSync('old-format')).to.equal(NO_VALUE);
    expect(await region.getMulti(['old-format'])).to.deep.equal([NO_VALUE]);
    expect(await region.getValueMetadata('old-format')).to.equal(undefined);
    expect(await region.getOrCreate('old-format', () => 'regenerated')).to.equal('regenerated');
  });

  it('setMulti shares one creation time; deletes are idempotent', async () => {
    const region = makeRegion().configure('memory');
    await region.setMulti({ a: 1, b: 2, c: 3 });
    const times = await Promise.all(['a', 'b', 'c'].map(async (key) => (await region.getValueMetadata(key))!.cachedTime));
    expect(new Set(times).size).to.equal(1);
    await region.delete('a');
    await region.delete('a');
    await region.deleteMulti(['b', 'nonexistent']);
    expect(await region.getMulti(['a', 'b', 'c'])).to.deep.equal([NO_VALUE, NO_VALUE, 3]);
  });

  it('the memory backend hands out the cached object; memory-serialized hands out copies', async () => {
    const shared = makeRegion().configure('memory');
    await shared.set('o', { n: 1 });
    ((await shared.get('o')) as { n: number }).n = 99;
    expect(await shared.get('o')).to.deep.equal({ n: 99 });
    const copied = makeRegion().configure('memory-serialized');
    await copied.set('o', { n: 1 });
    ((await copied.get('o')) as { n: number }).n = 99;
    expect(await copied.get('o')).to.deep.equal({ n: 1 });
  });

  it('memory maxEntries evicts the least recently used entry and counts it', async () => {
    const region = makeRegion().configure('memory', { arguments: { maxEntries: 2 } });
    const evictions: number[] = [];
    region.on('eviction', ({ count }) => evictions.push(count));
    await region.set('a', 1);
    await region.set('b', 2);
    await region.get('a');
    await region.set('c', 3);
    expect(await region.getMulti(['a', 'b', 'c'])).to.deep.equal([1, NO_VALUE, 3]);
    expect(region.stats().evictions).to.equal(1);
    expect(evictions).to.deep.equal([1]);
    expect(() => makeRegion().configure('memory', { arguments: { maxEntries: 0 } })).to.throw(/maxEntries/);
  });

  it('a listener that throws on a backend event does not break the operation that raised it', async () => {
    const region = makeRegion().configure('memory', { arguments: { maxEntries: 1 } });
    region.on('eviction', () => {
      throw new Error('a broken listener');
    });
    await region.set('a', 1);
    await region.set('b', 2);
    expect(await region.get('b')).to.equal(2);
    expect(region.stats().evictions).to.equal(1);
  });

  it('*Sync methods on a backend that cannot answer synchronously throw a TypeError naming it', async () => {
    class AsyncOnly {
      private readonly map = new Map<string, StoredValue>();
      async get(key: string) {
        return this.map.get(key) ?? NO_VALUE;
      }
      async set(key: string, value: StoredValue) {
        this.map.set(key, value);
      }
      async delete(key: string) {
        this.map.delete(key);
      }
    }
    const region = makeRegion().configure(new AsyncOnly());
    expect(() => region.getSync('k')).to.throw(TypeError, /AsyncOnly.*async/);
    expect(() => region.getOrCreateSync('k', () => 1)).to.throw(TypeError, /getOrCreateSync/);
    expect(region.supportsSync).to.equal(false);
    await region.set('k', 1);
    expect(await region.get('k')).to.equal(1);
    expect(await region.getMulti(['k', 'x'])).to.deep.equal([1, NO_VALUE]);
    expect(await region.getOrCreateMulti(['k', 'y'], (keys) => keys.map(() => 2))).to.deep.equal([1, 2]);
  });

  it('sync capability is seen through proxies', () => {
    const region = makeRegion().configure('memory', { wrap: [ProxyBackend] });
    expect(region.supportsSync).to.equal(true);
    region.setSync('k', 1);
    expect(region.getSync('k')).to.equal(1);
  });
});
