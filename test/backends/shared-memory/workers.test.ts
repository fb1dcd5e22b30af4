import { expect } from 'chai';
import { SharedMemoryBackend } from '../../../src/backends/shared-memory/index.js';
import { NO_VALUE, type CachedValue } from '../../../src/values.js';
import { cached, countingCodec, isWhole, makeChecked, messageFrom, resultOf, startWorker, stopWorkers } from './support.js';

interface HammerResult {
  torn: number;
  decodeFailures: number;
  hits: number;
  misses: number;
  sets: number;
  deletes: number;
  creations: number;
  lockTimeouts: number;
}

describe('shared-memory: real worker threads', function () {
  this.timeout(60_000);
  afterEach(stopWorkers);

  it('4 workers hammering random keys with checksummed values never read a torn value, and the table stays consistent', async () => {
    // A small arena and table, so blocks and records are evicted and reused all the time.
    const backend = new SharedMemoryBackend({ maxEntries: 96, maxBytes: 64 * 1024, maxValueBytes: 4096 });
    const codec = countingCodec();
    backend.useCodec(codec);
    const start = new Int32Array(new SharedArrayBuffer(4));
    const workers = Array.from({ length: 4 }, (_, writer) =>
      startWorker('hammer.ts', { handle: backend.share(), writer, operations: 12_000, keyCount: 200, maxLength: 1500, start }),
    );
    const results = workers.map((worker) => resultOf<HammerResult>(worker));
    await new Promise((resolve) => setTimeout(resolve, 300));
    Atomics.store(start, 0, 1);
    Atomics.notify(start, 0);

    // The main thread reads and writes alongside the workers.
    let mainTorn = 0;
    let mainHits = 0;
    for (let op = 0; op < 5_000; op++) {
      const key = `key-${op % 200}`;
      if (op % 4 === 0) backend.setSync(key, cached(makeChecked(key, 99, op % 1200)));
      const value = backend.getSync(key);
      if (value !== NO_VALUE) {
        mainHits++;
        if (!isWhole((value as CachedValue).payload, key)) mainTorn++;
      }
    }
    const seen = await Promise.all(results);

    const total = seen.reduce(
      (sum, r) => ({ torn: sum.torn + r.torn, failures: sum.failures + r.decodeFailures, hits: sum.hits + r.hits, misses: sum.misses + r.misses, creations: sum.creations + r.creations, timeouts: sum.timeouts + r.lockTimeouts, sets: sum.sets + r.sets }),
      { torn: 0, failures: 0, hits: 0, misses: 0, creations: 0, timeouts: 0, sets: 0 },
    );
    expect(total.torn + mainTorn, 'torn or misplaced values read').to.equal(0);
    expect(total.failures + codec.failures, 'undecodable reads').to.equal(0);
    expect(total.timeouts).to.equal(0);
    expect(total.hits, 'some reads hit').to.be.greaterThan(1000);
    expect(total.sets).to.be.greaterThan(6_000);
    expect(mainHits).to.be.greaterThan(0);
    const stats = backend.statsStore.snapshot();
    expect(stats.hits).to.equal(total.hits);
    expect(stats.misses).to.equal(total.misses);
    expect(stats.creations).to.equal(total.creations);
    expect(stats.evictions, 'the table was full and evicted').to.be.greaterThan(0);

    const check = backend.verify();
    expect(check.liveEntries).to.be.at.most(96);
    // Every entry left is whole.
    for (let n = 0; n < 200; n++) {
      for (const key of [`key-${n}`, `ключ-${n}`]) {
        const value = backend.getSync(key);
        if (value !== NO_VALUE) expect(isWhole((value as CachedValue).payload, key), key).to.equal(true);
      }
    }
  });

  for (const mode of ['sync', 'async'] as const) {
    it(`the creation lock excludes across 4 workers (${mode} acquire)`, async () => {
      const backend = new SharedMemoryBackend({ maxEntries: 100, maxBytes: 64 * 1024 });
      const shared = new Int32Array(new SharedArrayBuffer(8));
      const start = new Int32Array(new SharedArrayBuffer(4));
      const rounds = mode === 'sync' ? 400 : 150;
      const workers = Array.from({ length: 4 }, () => startWorker('exclusive.ts', { handle: backend.share(), rounds, mode, shared, start }));
      const results = workers.map((worker) => resultOf<{ overlaps: number; timeouts: number }>(worker));
      await new Promise((resolve) => setTimeout(resolve, 300));
      Atomics.store(start, 0, 1);
      Atomics.notify(start, 0);
      const seen = await Promise.all(results);
      expect(seen.map((r) => r.overlaps)).to.deep.equal([0, 0, 0, 0]);
      expect(seen.map((r) => r.timeouts)).to.deep.equal([0, 0, 0, 0]);
      expect(shared[1], 'no update was lost').to.equal(4 * rounds);
      expect(backend.getMutex('the-critical-key').lockedSync()).to.equal(false);
    });
  }

  it('a live holder keeps its lock past the lease by renewing it; once terminated, another thread takes over after the lease', async () => {
    // Renewal runs every third of the lease; a lease of a second tolerates timers late by ~600 ms.
    const leaseMs = 1_000;
    const backend = new SharedMemoryBackend({ maxEntries: 100, maxBytes: 64 * 1024, lockLease: leaseMs });
    const holder = startWorker('holder.ts', { handle: backend.share(), key: 'render:42' });
    expect((await messageFrom<{ acquired: boolean }>(holder)).acquired).to.equal(true);

    const contender = backend.getMutex('render:42');
    expect(contender.acquireSync(false)).to.equal(false);
    // Two and a half leases later the holder is still alive and has renewed: the lock is still its own.
    await new Promise((resolve) => setTimeout(resolve, 2.5 * leaseMs));
    expect(contender.acquireSync(false)).to.equal(false);
    expect(contender.lockedSync()).to.equal(true);

    await holder.terminate();
    // The lease is no longer renewed; a waiter gets the lock once it runs out (bounded wait, no deadlock).
    expect(await contender.acquire(true, 20 * leaseMs)).to.equal(true);
    contender.release();
    expect(contender.lockedSync()).to.equal(false);
  });

  it('threads with nothing else to do keep waiting asynchronously for a held lock until their waits end', async () => {
    // Short sleeps (a quarter of the lease) make many timed-out waits; a thread whose event loop
    // emptied under a pending wait would end without answering.
    const backend = new SharedMemoryBackend({ maxEntries: 100, maxBytes: 64 * 1024, lockLease: '8ms' });
    const held = backend.getMutex('busy');
    expect(held.acquireSync(false)).to.equal(true);
    const waiters = Array.from({ length: 6 }, () => startWorker('async-waiter.ts', { handle: backend.share(), key: 'busy', rounds: 4, waitMs: 150 }));
    const outcomes = await Promise.all(waiters.map((waiter) => resultOf<{ timedOut: number; acquired: number }>(waiter)));
    held.release();
    for (const { timedOut, acquired } of outcomes) expect(timedOut + acquired).to.equal(4);
  });

  it('a synchronous waiter also takes over the lock of a terminated holder', async () => {
    const backend = new SharedMemoryBackend({ maxEntries: 100, maxBytes: 64 * 1024, lockLease: '300ms' });
    const holder = startWorker('holder.ts', { handle: backend.share(), key: 'cold-key' });
    expect((await messageFrom<{ acquired: boolean }>(holder)).acquired).to.equal(true);
    await holder.terminate();
    const contender = backend.getMutex('cold-key');
    expect(contender.acquireSync(true, 10_000)).to.equal(true);
    contender.releaseSync();
  });

  it('a writer that dies holding the table write lock is detected; the table is emptied and stays usable', async () => {
    const backend = new SharedMemoryBackend({ maxEntries: 100, maxBytes: 64 * 1024 });
    const events: unknown[] = [];
    backend.setEventSink((event) => events.push(event));
    backend.setSync('before', cached('kept until the recovery'));
    const stuck = startWorker('stuck-writer.ts', { handle: backend.share() });
    await messageFrom(stuck);
    await stuck.terminate();
    // Reads never take the write lock: they go on while it is stuck.
    expect((backend.getSync('before') as CachedValue).payload).to.equal('kept until the recovery');

    backend.setSync('after', cached('written after the recovery'));
    expect(backend.inspect().recoveries).to.equal(1);
    expect(backend.getSync('before')).to.equal(NO_VALUE);
    expect((backend.getSync('after') as CachedValue).payload).to.equal('written after the recovery');
    expect(events).to.have.length(1);
    expect(events[0]).to.include({ type: 'backendError', operation: 'recover' });
    backend.verify();
  });
});
