// The Redis backend as a region sees it: the region's expiration time sets the Redis TTL, and lock
// events reach the region's listeners.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { makeRegion, type CacheRegion, type Duration } from '../../../src/index.js';
import { eventually, rawClient, sharedRedisUrl, uniquePrefix } from './support.js';

describe('redis backend under a region', function () {
  this.timeout(20_000);
  let raw: Redis;
  const open: CacheRegion[] = [];
  function make(prefix: string, expirationTime: Duration, args: Record<string, unknown> = {}): CacheRegion {
    const region = makeRegion({ name: 'redis-region' }).configure('redis', { expirationTime, arguments: { url: sharedRedisUrl(), prefix, ...args } });
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

  it('the Redis TTL follows the region expiration time plus a grace, unless set explicitly', async () => {
    const prefix = uniquePrefix('region-ttl');
    await make(prefix, '30s').set('k', 'v');
    expect(await raw.pttl(`${prefix}k`)).to.be.greaterThan(60_000).and.at.most(90_000);
    await make(prefix, '30s', { redisExpirationTime: '5s' }).set('explicit', 'v');
    expect(await raw.pttl(`${prefix}explicit`)).to.be.greaterThan(0).and.at.most(5_000);
  });

  it('a stale value outlives its expiration in Redis, so it can be served during regeneration', async () => {
    const prefix = uniquePrefix('region-stale');
    const region = make(prefix, '100ms');
    await region.set('k', 'old');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await region.get('k', { ignoreExpiration: true })).to.equal('old');
  });

  it('keyIsLocked sees the Redis lock of a creator running in another region', async () => {
    const prefix = uniquePrefix('region-locked');
    const creating = make(prefix, '1m');
    const watching = make(prefix, '1m');
    let finish!: () => void;
    const running = creating.getOrCreate('k', () => new Promise<string>((resolve) => (finish = () => resolve('v'))));
    await eventually(() => watching.keyIsLocked('k'), 5_000, 'the lock');
    finish();
    expect(await running).to.equal('v');
    expect(await watching.keyIsLocked('k')).to.equal(false);
  });

  it('a creator that lost its lock: the region hears lockLost, the caller still gets its value', async () => {
    const prefix = uniquePrefix('region-lost');
    const region = make(prefix, '1m', { lockLease: '300ms' });
    const lost: unknown[] = [];
    region.on('lockLost', (event: unknown) => lost.push(event));
    const value = await region.getOrCreate('k', async () => {
      // Someone else takes the lock while we create (our lease "ran out").
      await raw.set(`${prefix}_lock:k`, 'someone-else', 'PX', 60_000);
      await eventually(() => lost.length > 0, 10_000, 'lockLost from renewal');
      return 'mine';
    });
    expect(value).to.equal('mine');
    expect(lost.length).to.be.greaterThan(0);
    expect(await raw.get(`${prefix}_lock:k`), 'the other owner keeps its lock').to.equal('someone-else');
  });
});
