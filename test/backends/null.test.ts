import { expect } from 'chai';
import { makeRegion, NO_VALUE } from '../../src/index.js';

describe('null backend', () => {
  it('stores nothing: every read misses, on every path', async () => {
    const region = makeRegion().configure('null');
    await region.set('k', 1);
    expect(await region.get('k')).to.equal(NO_VALUE);
    await region.setMulti({ a: 1, b: 2 });
    expect(await region.getMulti(['a', 'b'])).to.deep.equal([NO_VALUE, NO_VALUE]);
    await region.delete('k');
    await region.deleteMulti(['a', 'b']);
    region.setSync('k', 1);
    expect(region.getSync('k')).to.equal(NO_VALUE);
  });

  it('a cached function runs on every call', async () => {
    const region = makeRegion().configure('null');
    let calls = 0;
    const counted = region.cacheOnArguments()(() => ++calls);
    expect([counted(), counted(), counted()]).to.deep.equal([1, 2, 3]);
  });

  it('its mutex always acquires, even while "held", and is never locked', async () => {
    const region = makeRegion().configure('null');
    const mutex = region.getMutex('k');
    expect(await mutex.acquire()).to.equal(true);
    expect(await mutex.acquire(false)).to.equal(true);
    expect(await mutex.locked()).to.equal(false);
    await mutex.release();
    expect(await region.keyIsLocked('k')).to.equal(false);
  });
});
