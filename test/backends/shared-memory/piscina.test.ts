import { expect } from 'chai';
import { Piscina } from 'piscina';
import { CachedValue, VALUE_VERSION, makeRegion, type CacheRegion } from '../../../src/index.js';
import type { CacheBackend } from '../../../src/backends/api.js';

const BOOT = new URL('./workers/piscina-boot.mjs', import.meta.url);
const TASK = new URL('./workers/piscina-task.ts', import.meta.url).href;

describe('shared-memory: getOrCreateSync inside Piscina tasks', function () {
  this.timeout(60_000);
  let pool: Piscina | undefined;
  let region: CacheRegion | undefined;
  afterEach(async () => {
    await pool?.destroy();
    await region?.close();
    pool = undefined;
    region = undefined;
  });

  function start(control: Int32Array): Piscina {
    region = makeRegion({ name: 'render' }).configure('shared-memory', { expirationTime: '1m', lockTimeout: '20s', arguments: { maxEntries: 1000, maxBytes: 1 << 20 } });
    pool = new Piscina({ filename: BOOT.href, minThreads: 4, maxThreads: 4, workerData: { cache: region.share(), control, taskModule: TASK } });
    return pool;
  }

  it('cold key: 1000 tasks on 4 threads → one creator call, every task gets its value', async () => {
    const control = new Int32Array(new SharedArrayBuffer(8));
    const pool = start(control);
    const tasks = Array.from({ length: 1000 }, (_, i) => pool.run({ key: 'cold', label: `task ${i}` }) as Promise<string>);
    // Let the first tasks reach the lock (one creates, the others block in acquireSync), then finish.
    while (Atomics.load(control, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 200));
    Atomics.store(control, 1, 1);
    Atomics.notify(control, 1);
    const results = await Promise.all(tasks);
    expect(Atomics.load(control, 0), 'creator calls').to.equal(1);
    expect(new Set(results).size).to.equal(1);
    expect(region!.stats().creations).to.equal(1);
  });

  it('expired key: one creator call; the 999 other tasks get the stale value while it runs', async () => {
    const control = new Int32Array(new SharedArrayBuffer(8));
    const pool = start(control);
    (region!.actualBackend as CacheBackend).setSync!('hot', new CachedValue('stale', { ct: Date.now() - 120_000, v: VALUE_VERSION }));
    const settled: string[] = [];
    const tasks = Array.from({ length: 1000 }, (_, i) =>
      (pool.run({ key: 'hot', label: `task ${i}` }) as Promise<string>).then((value) => {
        settled.push(value);
        return value;
      }),
    );
    // The gate is closed, so the creator is still running: 999 answers arrive without waiting for it.
    while (settled.length < 999) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(new Set(settled)).to.deep.equal(new Set(['stale']));
    expect(Atomics.load(control, 0)).to.equal(1);
    Atomics.store(control, 1, 1);
    Atomics.notify(control, 1);
    const results = await Promise.all(tasks);
    expect(results.filter((value) => value !== 'stale')).to.have.length(1);
    expect(Atomics.load(control, 0), 'creator calls').to.equal(1);
    const stats = region!.stats();
    expect(stats.creations).to.equal(1);
    expect(stats.staleServed).to.equal(999);
  });
});
