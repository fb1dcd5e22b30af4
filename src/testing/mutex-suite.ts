import assert from 'node:assert/strict';
import { isSyncMutex, type CacheMutex } from '../backends/api.js';
import { sleep } from '../time.js';
import { SuiteRegions, type SuiteOptions } from './backend-suite.js';

/**
 * The behaviour of the creation lock a backend hands the region (`region.getMutex(key)`; the
 * region's own in-thread lock for backends without one): exclusive per key, independent across
 * keys, bounded waits, hand-over on release, and nested creations of different keys.
 */
export function mutexConformanceSuite(options: SuiteOptions): void {
  describe(`mutex conformance: ${options.backend}${options.label ? ` (${options.label})` : ''}`, function () {
    this.timeout(30_000);
    const regions = new SuiteRegions(options);
    afterEach(() => regions.closeAll());

    it('acquire, try again, locked, release, acquire again', async () => {
      const region = await regions.make();
      const key = regions.key('basic');
      const mutex = region.getMutex(key);
      assert.equal(typeof mutex.acquire, 'function');
      assert.equal(typeof mutex.release, 'function');
      assert.equal(await mutex.locked(), false);
      assert.equal(await mutex.acquire(), true);
      assert.equal(await region.getMutex(key).acquire(false), false);
      assert.equal(await mutex.locked(), true);
      await mutex.release();
      assert.equal(await mutex.locked(), false);
      assert.equal(await mutex.acquire(false), true);
      await mutex.release();
    });

    it('a wait on a held lock is bounded and answers false', async () => {
      const region = await regions.make();
      const key = regions.key('bounded');
      const holder = region.getMutex(key);
      assert.equal(await holder.acquire(), true);
      const started = Date.now();
      assert.equal(await region.getMutex(key).acquire(true, 100), false);
      assert.ok(Date.now() - started < 20_000, 'the wait ended');
      await holder.release();
    });

    it('a waiter gets the lock when the holder releases it', async () => {
      const region = await regions.make();
      const key = regions.key('handover');
      const holder = region.getMutex(key);
      assert.equal(await holder.acquire(), true);
      const waiting = region.getMutex(key).acquire(true, 10_000);
      await sleep(50);
      await holder.release();
      assert.equal(await waiting, true);
      await region.getMutex(key).release();
    });

    it('locks of different keys are independent', async () => {
      const region = await regions.make();
      const [foo, bar] = [regions.key('foo'), regions.key('bar')];
      for (let round = 0; round < 3; round++) {
        const fooMutex = region.getMutex(foo);
        assert.equal(await fooMutex.acquire(), true);
        const barMutex = region.getMutex(bar);
        assert.equal(await barMutex.acquire(false), true);
        assert.equal(await region.getMutex(bar).acquire(false), false);
        await barMutex.release();
        await fooMutex.release();
      }
    });

    it('critical sections of five concurrent holders never overlap', async () => {
      const region = await regions.make();
      const key = regions.key('exclusive');
      let inside = 0;
      let overlaps = 0;
      let entries = 0;
      const worker = async (): Promise<void> => {
        for (let i = 0; i < 5; i++) {
          const mutex: CacheMutex = region.getMutex(key);
          assert.equal(await mutex.acquire(true, 10_000), true);
          inside++;
          entries++;
          if (inside > 1) overlaps++;
          await sleep(2);
          inside--;
          await mutex.release();
        }
      };
      await Promise.all(Array.from({ length: 5 }, worker));
      assert.equal(entries, 25);
      assert.equal(overlaps, 0);
    });

    it('a creator may create another key (nested locks)', async () => {
      const region = await regions.make();
      const [foo, bar] = [regions.key('outer'), regions.key('inner')];
      for (let round = 0; round < 2; round++) {
        const value = await region.getOrCreate(foo, async () => `foo${await region.getOrCreate(bar, () => 'bar')}`);
        assert.equal(value, 'foobar');
      }
    });

    it('synchronous acquire is bounded too, when the lock offers it', async function () {
      const region = await regions.make();
      const key = regions.key('sync');
      const holder = region.getMutex(key);
      if (!isSyncMutex(holder)) this.skip();
      assert.equal(holder.acquireSync(false), true);
      const other = region.getMutex(key);
      assert.ok(isSyncMutex(other));
      assert.equal(other.acquireSync(false), false);
      assert.equal(other.acquireSync(true, 50), false);
      assert.equal(holder.lockedSync(), true);
      holder.releaseSync();
      assert.equal(other.acquireSync(true, 50), true);
      other.releaseSync();
    });
  });
}
