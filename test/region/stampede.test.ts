import { expect } from 'chai';
import { LockTimeoutError, makeRegion, NO_VALUE } from '../../src/index.js';
import { sleep } from '../../src/time.js';

function gate(): { open: () => void; wait: Promise<void> } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { open, wait };
}

describe('the dogpile lock under concurrency (one thread)', () => {
  it('1,000 concurrent callers on a cold key: one creator call, everyone gets its value', async () => {
    const region = makeRegion().configure('memory', { expirationTime: '1m' });
    let calls = 0;
    const results = await Promise.all(
      Array.from({ length: 1000 }, () =>
        region.getOrCreate('cold', async () => {
          calls++;
          await sleep(20);
          return { made: calls };
        }),
      ),
    );
    expect(calls).to.equal(1);
    expect(new Set(results).size).to.equal(1);
    expect(results[0]).to.deep.equal({ made: 1 });
    expect(region.stats().lockWaits).to.equal(999);
  });

  it('1,000 callers on an expired key: one creator call, 999 get the stale value before it finishes', async () => {
    const region = makeRegion().configure('memory', { expirationTime: 20 });
    await region.set('warm', 'stale');
    await sleep(40);
    const creation = gate();
    let calls = 0;
    let settled = 0;
    const pending = Array.from({ length: 1000 }, () =>
      region
        .getOrCreate('warm', async () => {
          calls++;
          await creation.wait;
          return 'fresh';
        })
        .then((value) => {
          settled++;
          return value;
        }),
    );
    await sleep(20);
    expect(settled, 'callers served while the creator is still running').to.equal(999);
    creation.open();
    const results = await Promise.all(pending);
    expect(calls).to.equal(1);
    expect(results.filter((value) => value === 'stale')).to.have.length(999);
    expect(results.filter((value) => value === 'fresh')).to.have.length(1);
    expect(region.stats().staleServed).to.equal(999);
    expect(await region.get('warm')).to.equal('fresh');
  });

  it('creators never overlap and no caller ever gets a value two generations old', async () => {
    const region = makeRegion().configure('memory', { expirationTime: 5 });
    let running = 0;
    let overlaps = 0;
    let generation = 0;
    let completed = 0;
    let tooOld = 0;
    const creator = async (): Promise<number> => {
      running++;
      if (running > 1) overlaps++;
      const mine = ++generation;
      await sleep(Math.random() * 4);
      running--;
      completed = mine;
      return mine;
    };
    const client = async (): Promise<void> => {
      for (let i = 0; i < 60; i++) {
        const value = await region.getOrCreate('soak', creator);
        if (value < completed - 1) tooOld++;
        await sleep(Math.random() * 3);
      }
    };
    await Promise.all(Array.from({ length: 20 }, client));
    expect(overlaps).to.equal(0);
    expect(tooOld).to.equal(0);
    expect(generation).to.be.greaterThan(1);
  });

  it('a creator that throws: its caller gets the error, nothing is cached, one waiter creates for the rest', async () => {
    const region = makeRegion().configure('memory');
    let calls = 0;
    const first = region.getOrCreate('flaky', async () => {
      calls++;
      await sleep(10);
      throw new Error('first attempt fails');
    });
    const waiters = Array.from({ length: 100 }, () =>
      region.getOrCreate('flaky', async () => {
        calls++;
        await sleep(10);
        return 'second attempt';
      }),
    );
    let caught: unknown;
    await first.catch((error: unknown) => (caught = error));
    expect((caught as Error).message).to.equal('first attempt fails');
    const values = await Promise.all(waiters);
    expect(values.every((value) => value === 'second attempt')).to.equal(true);
    expect(calls).to.equal(2);
    expect(region.stats().creatorErrors).to.equal(1);
    expect(await region.keyIsLocked('flaky')).to.equal(false);
  });

  it('a creator that never settles: waiters get LockTimeoutError after lockTimeout', async () => {
    const region = makeRegion().configure('memory', { lockTimeout: 50 });
    const timeouts: unknown[] = [];
    region.on('lockTimeout', (event) => timeouts.push(event));
    void region.getOrCreate('hung', () => new Promise<never>(() => {}));
    const waiters = await Promise.allSettled(Array.from({ length: 5 }, () => region.getOrCreate('hung', () => 'unused')));
    for (const waiter of waiters) {
      expect(waiter.status).to.equal('rejected');
      const reason = (waiter as PromiseRejectedResult).reason as LockTimeoutError;
      expect(reason).to.be.instanceOf(LockTimeoutError);
      expect(reason.key).to.equal('hung');
      expect(reason.message).to.contain('lockTimeout');
    }
    expect(timeouts).to.have.length(5);
    expect(region.stats().lockTimeouts).to.equal(5);
  });

  it("onLockTimeout: 'create' makes a timed-out waiter create on its own", async () => {
    const region = makeRegion().configure('memory', { lockTimeout: 30, onLockTimeout: 'create' });
    void region.getOrCreate('hung', () => new Promise<never>(() => {}));
    expect(await region.getOrCreate('hung', () => 'made by the waiter')).to.equal('made by the waiter');
    expect(await region.getOrCreate('hung', () => 'unused', { lockTimeout: 10, onLockTimeout: 'error' })).to.equal('made by the waiter');
  });

  it('a per-call lockTimeout overrides the region default', async () => {
    const region = makeRegion().configure('memory', { lockTimeout: '1m' });
    void region.getOrCreate('slow', () => new Promise<never>(() => {}));
    let caught: unknown;
    await region.getOrCreate('slow', () => 'x', { lockTimeout: 20 }).catch((error: unknown) => (caught = error));
    expect(caught).to.be.instanceOf(LockTimeoutError);
  });

  it('different keys are created in parallel', async () => {
    const region = makeRegion().configure('memory');
    let running = 0;
    let peak = 0;
    await Promise.all(
      ['a', 'b', 'c'].map((key) =>
        region.getOrCreate(key, async () => {
          running++;
          peak = Math.max(peak, running);
          await sleep(20);
          running--;
          return key;
        }),
      ),
    );
    expect(peak).to.equal(3);
  });

  it('getOrCreateSync creates, serves, and regenerates an expired value', async () => {
    const region = makeRegion().configure('memory', { expirationTime: 20 });
    let calls = 0;
    expect(region.getOrCreateSync('sync', () => ++calls)).to.equal(1);
    expect(region.getOrCreateSync('sync', () => ++calls)).to.equal(1);
    await sleep(40);
    expect(region.getOrCreateSync('sync', () => ++calls)).to.equal(2);
    expect(() => region.getOrCreateSync('async-creator', () => Promise.resolve(1))).to.throw(TypeError, /getOrCreate/);
    expect(region.getSync('async-creator')).to.equal(NO_VALUE);
    expect(await region.keyIsLocked('async-creator')).to.equal(false);
  });

  it('getOrCreateSync serves the stale value while an async creation of the key runs in this thread', async () => {
    const region = makeRegion().configure('memory', { expirationTime: 10 });
    await region.set('mixed', 'old');
    await sleep(20);
    const creation = gate();
    const running = region.getOrCreate('mixed', async () => {
      await creation.wait;
      return 'new';
    });
    expect(region.getOrCreateSync('mixed', () => 'sync')).to.equal('old');
    creation.open();
    expect(await running).to.equal('new');
  });
});

describe('keyIsLocked', () => {
  it('asks about the mangled key that getOrCreate locks', async () => {
    const region = makeRegion({ keyMangler: (key) => `P:${key}` }).configure('memory');
    let seenInside: boolean | undefined;
    await region.getOrCreate('k', async () => {
      seenInside = await region.keyIsLocked('k');
      return 1;
    });
    expect(seenInside).to.equal(true);
    expect(await region.keyIsLocked('k')).to.equal(false);
    expect(region.keyIsLockedSync('k')).to.equal(false);
  });
});
