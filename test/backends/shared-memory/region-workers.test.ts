import { expect } from 'chai';
import type { Worker } from 'node:worker_threads';
import { CachedValue, NO_VALUE, VALUE_VERSION, ValueTooLargeError, makeRegion, type CacheRegion } from '../../../src/index.js';
import type { CacheBackend } from '../../../src/backends/api.js';
import { messageFrom, startWorker, stopWorkers } from './support.js';

interface StampedeReport {
  phase: 'before-gate' | 'done';
  values: unknown[];
  errors: string[];
  creatorHere: boolean;
}

function sharedRegion(args: Record<string, unknown> = {}, configure: Record<string, unknown> = {}): CacheRegion {
  return makeRegion({ name: 'render' }).configure('shared-memory', {
    expirationTime: '1m',
    lockTimeout: '20s',
    arguments: { maxEntries: 1000, maxBytes: 1 << 20, ...args },
    ...configure,
  });
}

/** Starts `count` stampede workers on `key`, releases them together, returns both report phases. */
async function stampede(region: CacheRegion, key: string, count: number, callers: number) {
  const control = new Int32Array(new SharedArrayBuffer(12));
  const workers = Array.from({ length: count }, (_, i) => startWorker('region-stampede.ts', { cache: region.share(), key, callers, control, label: `worker ${i}` }));
  const before = workers.map((worker) => messageFrom<StampedeReport>(worker, (m) => m.phase === 'before-gate'));
  const done = workers.map((worker) => messageFrom<StampedeReport>(worker, (m) => m.phase === 'done'));
  await new Promise((resolve) => setTimeout(resolve, 300));
  Atomics.store(control, 0, 1);
  Atomics.notify(control, 0);
  return { control, before, done, workers };
}

function openGate(control: Int32Array): void {
  Atomics.store(control, 2, 1);
}

async function ask(worker: Worker, request: Record<string, unknown>): Promise<{ ok: boolean; answer?: unknown; error?: string }> {
  const reply = messageFrom<{ ok: boolean; answer?: unknown; error?: string }>(worker, (m) => 'ok' in m);
  worker.postMessage(request);
  return reply;
}

describe('shared-memory: regions across worker threads', function () {
  this.timeout(60_000);
  const regions: CacheRegion[] = [];
  afterEach(async () => {
    await stopWorkers();
    await Promise.all(regions.splice(0).map((region) => region.close()));
  });
  const track = (region: CacheRegion): CacheRegion => {
    regions.push(region);
    return region;
  };

  it('4 workers hammering a region with get/set/delete/getOrCreate on checksummed values: nothing torn, counts add up', async () => {
    const region = track(sharedRegion({ maxEntries: 96, maxBytes: 64 * 1024, maxValueBytes: 4096 }));
    const start = new Int32Array(new SharedArrayBuffer(4));
    const workers = Array.from({ length: 4 }, (_, writer) =>
      startWorker('region-hammer.ts', { cache: region.share(), writer, operations: 8_000, keyCount: 150, maxLength: 1200, start }),
    );
    const results = workers.map((worker) => messageFrom<{ torn: number; creatorCalls: number; errors: string[] }>(worker));
    await new Promise((resolve) => setTimeout(resolve, 300));
    Atomics.store(start, 0, 1);
    Atomics.notify(start, 0);
    const seen = await Promise.all(results);
    expect(seen.flatMap((report) => report.errors)).to.deep.equal([]);
    expect(seen.reduce((sum, report) => sum + report.torn, 0), 'torn or misplaced values').to.equal(0);
    const stats = region.stats();
    expect(stats.deserializeErrors).to.equal(0);
    expect(stats.creations, 'creations counted in the shared stats = creator calls in all threads').to.equal(seen.reduce((sum, report) => sum + report.creatorCalls, 0));
    expect(stats.creations).to.be.greaterThan(0);
    expect(stats.evictions).to.be.greaterThan(0);
    expect(stats.hits + stats.misses + stats.staleServed).to.be.greaterThan(0);
    (region.actualBackend as unknown as { verify(): unknown }).verify();
  });

  it('cold key: 4 workers × 250 concurrent callers → exactly one creator call, everyone gets its value', async () => {
    const region = track(sharedRegion());
    const { control, done } = await stampede(region, 'cold-key', 4, 250);
    // Everyone else is waiting for the one creation; let it finish.
    await new Promise((resolve) => setTimeout(resolve, 200));
    openGate(control);
    const reports = await Promise.all(done);
    expect(Atomics.load(control, 1), 'creator calls').to.equal(1);
    const creators = reports.filter((report) => report.creatorHere);
    expect(creators).to.have.length(1);
    const created = `created by worker ${reports.indexOf(creators[0]!)}`;
    for (const report of reports) {
      expect(report.errors).to.deep.equal([]);
      expect(report.values).to.have.length(250);
      expect(new Set(report.values)).to.deep.equal(new Set([created]));
    }
    expect(region.getSync('cold-key')).to.equal(created);
    expect(region.stats().creations).to.equal(1);
  });

  it('expired key: exactly one creator call; the other 999 callers get the stale value without waiting for it', async () => {
    const region = track(sharedRegion());
    (region.actualBackend as CacheBackend).setSync!('hot-key', new CachedValue('stale', { ct: Date.now() - 120_000, v: VALUE_VERSION }));
    const { control, before, done } = await stampede(region, 'hot-key', 4, 250);
    // The gate is still closed: the creator cannot have finished, so these answers did not wait for it.
    const early = await Promise.all(before);
    const served = early.flatMap((report) => report.values);
    expect(served).to.have.length(999);
    expect(new Set(served)).to.deep.equal(new Set(['stale']));
    openGate(control);
    const reports = await Promise.all(done);
    expect(Atomics.load(control, 1), 'creator calls').to.equal(1);
    const creator = reports.findIndex((report) => report.creatorHere);
    expect(reports[creator]!.values.filter((value) => value !== 'stale')).to.deep.equal([`created by worker ${creator}`]);
    expect(region.getSync('hot-key')).to.equal(`created by worker ${creator}`);
    const stats = region.stats();
    expect(stats.creations).to.equal(1);
    expect(stats.staleServed).to.equal(999);
  });

  it('a worker terminated while holding the creation lock: another thread takes over after the lease, no deadlock', async () => {
    const region = track(sharedRegion({ lockLease: '1500ms' }));
    const holder = startWorker('region-holder.ts', { cache: region.share(), key: 'orphaned' });
    await messageFrom(holder);
    expect(await region.keyIsLocked('orphaned')).to.equal(true);
    await holder.terminate();
    let calls = 0;
    const value = await region.getOrCreate('orphaned', () => {
      calls++;
      return 'made by the survivor';
    });
    expect(value).to.equal('made by the survivor');
    expect(calls).to.equal(1);
    expect(region.stats().lockTimeouts).to.equal(0);
    expect(await region.keyIsLocked('orphaned')).to.equal(false);
  });

  it('invalidate() in one thread is seen by all; stats are summed over all threads', async () => {
    const region = track(sharedRegion());
    const worker = startWorker('region-ops.ts', { cache: region.share() });
    await messageFrom(worker, (m: { ready?: boolean }) => m.ready === true);
    region.setSync('k', 'v1');
    expect((await ask(worker, { op: 'get', key: 'k' })).answer).to.equal('v1');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await ask(worker, { op: 'invalidate', hard: true });
    expect(region.getSync('k')).to.equal(NO_VALUE);
    await new Promise((resolve) => setTimeout(resolve, 5));
    region.setSync('k', 'v2');
    expect((await ask(worker, { op: 'get', key: 'k' })).answer).to.equal('v2');
    await new Promise((resolve) => setTimeout(resolve, 5));
    region.invalidate();
    expect((await ask(worker, { op: 'get', key: 'k' })).answer).to.equal('NO_VALUE');
    const stats = region.stats();
    expect(stats.hits).to.equal(2);
    expect(stats.misses).to.equal(2);
    expect((await ask(worker, { op: 'stats' })).answer).to.deep.equal(stats);
  });

  it('a full table evicts through the region (counted in stats, no error); an oversized value is a clear error', async () => {
    const region = track(sharedRegion({ maxEntries: 20, maxBytes: 64 * 1024, maxValueBytes: 4096 }));
    const worker = startWorker('region-ops.ts', { cache: region.share() });
    await messageFrom(worker, (m: { ready?: boolean }) => m.ready === true);
    for (let i = 0; i < 30; i++) expect((await ask(worker, { op: 'set', key: `w${i}`, value: i })).ok).to.equal(true);
    for (let i = 0; i < 30; i++) region.setSync(`m${i}`, i);
    expect(region.stats().evictions).to.equal(40);
    expect(() => region.setSync('huge', 'x'.repeat(10_000))).to.throw(ValueTooLargeError, /"huge" is \d+ bytes, over the limit of 4096 bytes/);
    const fromWorker = await ask(worker, { op: 'set', key: 'huge', value: 'x'.repeat(10_000) });
    expect(fromWorker.ok).to.equal(false);
    expect(fromWorker.error).to.match(/ValueTooLargeError: Value for key "huge"/);
  });
});
