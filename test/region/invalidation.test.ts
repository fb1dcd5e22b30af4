import { expect } from 'chai';
import { DefaultInvalidationStrategy, makeRegion, NO_VALUE, type RegionInvalidationStrategy } from '../../src/index.js';
import { sleep } from '../../src/time.js';

/** Keeps soft and hard invalidation times apart (the alternative dogpile.cache documents). */
class SeparateTimesStrategy implements RegionInvalidationStrategy {
  private soft: number | undefined;
  private hard: number | undefined;
  invalidate(hard = true): void {
    if (hard) this.hard = Date.now();
    else this.soft = Date.now();
  }
  isInvalidated(ct: number): boolean {
    return this.isHardInvalidated(ct) || this.isSoftInvalidated(ct);
  }
  isHardInvalidated(ct: number): boolean {
    return this.hard !== undefined && ct < this.hard;
  }
  isSoftInvalidated(ct: number): boolean {
    return this.soft !== undefined && ct < this.soft;
  }
  wasHardInvalidated(): boolean {
    return this.hard !== undefined;
  }
  wasSoftInvalidated(): boolean {
    return this.soft !== undefined;
  }
}

for (const [label, strategy] of [
  ['default strategy', () => undefined],
  ['custom strategy', () => new SeparateTimesStrategy()],
] as const) {
  describe(`region invalidation (${label})`, () => {
    const region = () => {
      const configured = makeRegion().configure('memory', { expirationTime: '1m', regionInvalidator: strategy() });
      return configured;
    };

    it('hard: get misses; getOrCreate regenerates once, then serves the new value', async () => {
      const r = region();
      let calls = 0;
      expect(await r.getOrCreate('k', () => ++calls)).to.equal(1);
      await sleep(5);
      r.invalidate();
      expect(await r.get('k')).to.equal(NO_VALUE);
      expect(await r.getOrCreate('k', () => ++calls)).to.equal(2);
      expect(await r.getOrCreate('k', () => ++calls)).to.equal(2);
      await sleep(5);
      r.invalidate({ hard: true });
      expect(await r.getOrCreate('k', () => ++calls)).to.equal(3);
      expect(await r.getOrCreate('k', () => ++calls)).to.equal(3);
    });

    it('hard with getOrCreateMulti: every key regenerates, then stays', async () => {
      const r = region();
      let calls = 0;
      const make = (keys: string[]) => keys.map((key) => `${key}${++calls}`);
      expect(await r.getOrCreateMulti(['a', 'b'], make)).to.deep.equal(['a1', 'b2']);
      await sleep(5);
      r.invalidate();
      expect(await r.getOrCreateMulti(['a', 'b'], make)).to.deep.equal(['a3', 'b4']);
      expect(await r.getOrCreateMulti(['a', 'b'], make)).to.deep.equal(['a3', 'b4']);
    });

    it('soft: get misses; a lone getOrCreate regenerates; concurrent callers get the old value meanwhile', async () => {
      const r = region();
      let calls = 0;
      await r.getOrCreate('k', () => ++calls);
      await sleep(5);
      r.invalidate({ hard: false });
      expect(await r.get('k')).to.equal(NO_VALUE);
      const results = await Promise.all([
        r.getOrCreate('k', async () => {
          await sleep(10);
          return ++calls;
        }),
        r.getOrCreate('k', () => ++calls),
      ]);
      expect(results).to.deep.equal([2, 1]);
      expect(await r.get('k')).to.equal(2);
    });

    it('soft with getOrCreateMulti regenerates the values', async () => {
      const r = region();
      let calls = 0;
      const make = (keys: string[]) => keys.map(() => ++calls);
      await r.getOrCreateMulti(['a', 'b'], make);
      await sleep(5);
      r.invalidate({ hard: false });
      expect(await r.getOrCreateMulti(['a', 'b'], make)).to.deep.equal([3, 4]);
    });
  });
}

describe('invalidation details', () => {
  it('soft invalidation without an expiration time serves the old value to others while one regenerates', async () => {
    const region = makeRegion().configure('memory');
    await region.set('k', 'old');
    await sleep(5);
    region.invalidate({ hard: false });
    const [creatorResult, concurrent] = await Promise.all([
      region.getOrCreate('k', async () => {
        await sleep(10);
        return 'new';
      }),
      region.getOrCreate('k', () => 'unused'),
    ]);
    expect(creatorResult).to.equal('new');
    expect(concurrent).to.equal('old');
    expect(await region.getOrCreate('k', () => 'unused')).to.equal('new');
  });

  it('a later invalidation replaces the mode: hard then soft makes older values stale', async () => {
    const region = makeRegion().configure('memory', { expirationTime: '1m' });
    await region.set('k', 'old');
    await sleep(5);
    region.invalidate({ hard: true });
    region.invalidate({ hard: false });
    const strategy = region.regionInvalidator as DefaultInvalidationStrategy;
    expect(strategy.wasSoftInvalidated()).to.equal(true);
    expect(strategy.wasHardInvalidated()).to.equal(false);
    expect(await region.get('k', { ignoreExpiration: true })).to.equal('old');
    const [first, second] = await Promise.all([
      region.getOrCreate('k', async () => {
        await sleep(5);
        return 'new';
      }),
      region.getOrCreate('k', () => 'unused'),
    ]);
    expect([first, second]).to.deep.equal(['new', 'old']);
  });

  it('values created after the invalidation are valid', async () => {
    const region = makeRegion().configure('memory');
    region.invalidate();
    await sleep(2);
    await region.set('k', 'after');
    expect(await region.get('k')).to.equal('after');
  });
});

describe('invalidation within one millisecond', () => {
  it('a value written just before invalidate() is invalid, one written just after is valid', () => {
    for (let i = 0; i < 200; i++) {
      const region = makeRegion().configure('memory');
      region.setSync('before', i);
      region.invalidate();
      region.setSync('after', i);
      expect(region.getSync('before')).to.equal(NO_VALUE);
      expect(region.getSync('after')).to.equal(i);
    }
  });
});
