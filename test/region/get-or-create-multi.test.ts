import { expect } from 'chai';
import { makeRegion, NO_VALUE } from '../../src/index.js';
import { sleep } from '../../src/time.js';

describe('getOrCreateMulti', () => {
  it('returns values aligned with the input; the creator gets the missing keys sorted, once', async () => {
    const region = makeRegion().configure('memory');
    const requests: string[][] = [];
    let counter = 0;
    const creator = (keys: string[]) => {
      requests.push(keys);
      return keys.map((key) => `${key}:${++counter}`);
    };
    expect(await region.getOrCreateMulti(['k3', 'k2', 'k5', 'k2'], creator)).to.deep.equal(['k3:2', 'k2:1', 'k5:3', 'k2:1']);
    expect(await region.getOrCreateMulti(['k5', 'k1'], creator)).to.deep.equal(['k5:3', 'k1:4']);
    expect(requests).to.deep.equal([['k2', 'k3', 'k5'], ['k1']]);
  });

  it('after expiry, -1 serves the old values and the next call regenerates only expired keys', async () => {
    const region = makeRegion().configure('memory', { expirationTime: 20 });
    let counter = 0;
    const creator = (keys: string[]) => keys.map(() => ++counter);
    expect(await region.getOrCreateMulti(['k3', 'k2', 'k5'], creator)).to.deep.equal([2, 1, 3]);
    await sleep(40);
    expect(await region.getOrCreateMulti(['k3', 'k2', 'k5'], creator, { expirationTime: -1 })).to.deep.equal([2, 1, 3]);
    expect(await region.getOrCreateMulti(['k3', 'k2'], creator)).to.deep.equal([5, 4]);
    expect(await region.get('k5', { ignoreExpiration: true })).to.equal(3);
  });

  it('two concurrent calls on the same missing key create it once (the waiter reads the store again)', async () => {
    const region = makeRegion().configure('memory');
    let calls = 0;
    const creator = async (keys: string[]) => {
      calls++;
      await sleep(10);
      return keys.map((key) => `${key}!`);
    };
    const [one, two] = await Promise.all([region.getOrCreateMulti(['a'], creator), region.getOrCreateMulti(['a'], creator)]);
    expect(one).to.deep.equal(['a!']);
    expect(two).to.deep.equal(['a!']);
    expect(calls).to.equal(1);
  });

  it('a single getOrCreate joins the multi creation of its key', async () => {
    const region = makeRegion().configure('memory');
    let multiCalls = 0;
    let singleCalls = 0;
    const multi = region.getOrCreateMulti(['x', 'y'], async (keys) => {
      multiCalls++;
      await sleep(10);
      return keys.map((key) => key.toUpperCase());
    });
    await sleep(1);
    const single = region.getOrCreate('x', () => {
      singleCalls++;
      return 'single';
    });
    expect(await multi).to.deep.equal(['X', 'Y']);
    expect(await single).to.equal('X');
    expect([multiCalls, singleCalls]).to.deep.equal([1, 0]);
  });

  it('shouldCacheFn filters what is stored; every value is returned', async () => {
    const region = makeRegion().configure('memory');
    let counter = 0;
    const creator = (keys: string[]) => keys.map(() => ++counter);
    expect(await region.getOrCreateMulti(['a', 'b'], creator, { shouldCacheFn: (v) => v % 2 === 1 })).to.deep.equal([1, 2]);
    expect(await region.getMulti(['a', 'b'])).to.deep.equal([1, NO_VALUE]);
    expect(await region.getOrCreateMulti(['a', 'b'], creator, { shouldCacheFn: (v) => v % 2 === 1 })).to.deep.equal([1, 3]);
    expect(await region.getMulti(['a', 'b'])).to.deep.equal([1, 3]);
  });

  it('a creator that returns the wrong number of values is an error naming the keys; locks are released', async () => {
    const region = makeRegion().configure('memory');
    let caught: unknown;
    await region.getOrCreateMulti(['a', 'b'], () => ['only one']).catch((error: unknown) => (caught = error));
    expect(caught).to.be.instanceOf(TypeError);
    expect((caught as Error).message).to.contain('a, b');
    expect(await region.keyIsLocked('a')).to.equal(false);
    expect(await region.getOrCreateMulti(['a'], () => ['fine'])).to.deep.equal(['fine']);
  });

  it('a creator that throws releases every lock and caches nothing', async () => {
    const region = makeRegion().configure('memory');
    let caught: unknown;
    await region
      .getOrCreateMulti(['a', 'b'], () => {
        throw new Error('multi boom');
      })
      .catch((error: unknown) => (caught = error));
    expect((caught as Error).message).to.equal('multi boom');
    expect(await region.keyIsLocked('a')).to.equal(false);
    expect(await region.keyIsLocked('b')).to.equal(false);
    expect(await region.getMulti(['a', 'b'])).to.deep.equal([NO_VALUE, NO_VALUE]);
    expect(region.stats().creatorErrors).to.equal(1);
  });
});
