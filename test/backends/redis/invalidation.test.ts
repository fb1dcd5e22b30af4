// region.invalidate() through Redis: shared by every region over the same Redis and prefix (each
// region here has its own backend and connections, standing in for another process or host).
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { makeRegion, type CacheRegion } from '../../../src/index.js';
import { parseInvalidation } from '../../../src/backends/redis/invalidation.js';
import { eventually, rawClient, sharedRedisUrl, uniquePrefix } from './support.js';

describe('redis shared invalidation', function () {
  this.timeout(20_000);
  let raw: Redis;
  const open: CacheRegion[] = [];
  function make(prefix: string): CacheRegion {
    const region = makeRegion({ name: 'invalidation' }).configure('redis', { expirationTime: '1h', arguments: { url: sharedRedisUrl(), prefix } });
    open.push(region);
    return region;
  }

  before(() => {
    raw = rawClient();
  });
  after(() => raw.disconnect());
  afterEach(async () => {
    await Promise.all(open.splice(0).map((region) => region.close()));
  });

  it('a hard invalidation in one region makes older values misses in another', async () => {
    const prefix = uniquePrefix('hard');
    const here = make(prefix);
    const there = make(prefix);
    await here.set('k', 'old');
    expect(await there.get('k')).to.equal('old');
    await new Promise((resolve) => setTimeout(resolve, 5));
    here.invalidate();
    expect(await here.get('k'), 'at once where it was invalidated').to.have.property('noValue', true);
    await eventually(async () => (await there.get('k')) !== 'old', 5_000, 'the other region to see the invalidation');
    await there.set('k', 'new');
    expect(await here.get('k')).to.equal('new');
  });

  it('a soft invalidation makes older values stale elsewhere: served while one caller regenerates', async () => {
    const prefix = uniquePrefix('soft');
    const here = make(prefix);
    const there = make(prefix);
    await here.set('k', 'old');
    expect(await there.get('k')).to.equal('old');
    await new Promise((resolve) => setTimeout(resolve, 5));
    here.invalidate({ hard: false });
    await eventually(async () => (await there.get('k')) !== 'old', 5_000, 'the soft invalidation');
    expect(await there.getOrCreate('k', () => 'regenerated')).to.equal('regenerated');
  });

  it('a region created after the invalidation loads it from Redis', async () => {
    const prefix = uniquePrefix('late');
    const first = make(prefix);
    await first.set('k', 'old');
    await new Promise((resolve) => setTimeout(resolve, 5));
    first.invalidate();
    await eventually(async () => (await raw.get(`${prefix}_lock!invalidation`)) !== null, 5_000, 'the record');
    const late = make(prefix);
    await eventually(async () => (await late.get('k')) !== 'old', 5_000, 'the late region to load the record');
  });

  it('an invalidation made while another region is still subscribing is not lost', async () => {
    for (let round = 0; round < 5; round++) {
      const prefix = uniquePrefix('subscribing');
      const here = make(prefix);
      const there = make(prefix);
      await here.set('k', 'old');
      await new Promise((resolve) => setTimeout(resolve, 5));
      // The first read starts there's load and subscription; the invalidation races both.
      expect(there.backend.invalidationStore!.read()).to.equal(undefined);
      here.invalidate();
      await eventually(async () => (await there.get('k')) !== 'old', 5_000, `round ${round}: the other region to see the invalidation`);
    }
  });

  it('regions with other prefixes are not affected', async () => {
    const mine = make(uniquePrefix('mine'));
    const other = make(uniquePrefix('other'));
    await other.set('k', 'kept');
    await new Promise((resolve) => setTimeout(resolve, 5));
    mine.invalidate();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await other.get('k')).to.equal('kept');
  });

  it('an earlier invalidation never replaces a later one in the record', async () => {
    const prefix = uniquePrefix('order');
    const region = make(prefix);
    const store = region.backend.invalidationStore!;
    store.write({ at: 2_000_000_000_000, hard: true });
    store.write({ at: 1_000_000_000_000, hard: false });
    await eventually(async () => (await raw.get(`${prefix}_lock!invalidation`)) === '2000000000000:1', 5_000, 'the record');
    expect(store.read()).to.deep.equal({ at: 2_000_000_000_000, hard: true });
  });

  it('reads the record as untrusted input', () => {
    expect(parseInvalidation('1700000000000:1')).to.deep.equal({ at: 1_700_000_000_000, hard: true });
    expect(parseInvalidation('1700000000000:0')).to.deep.equal({ at: 1_700_000_000_000, hard: false });
    for (const bad of [null, undefined, '', 'x:1', '17:2', '1e308:1', '__proto__', '1:1:1', '9'.repeat(400) + ':1']) {
      expect(parseInvalidation(bad), String(bad)).to.equal(undefined);
    }
  });
});
