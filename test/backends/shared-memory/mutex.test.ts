import { expect } from 'chai';
import type { BackendEvent } from '../../../src/backends/api.js';
import { SharedMemoryBackend } from '../../../src/backends/shared-memory/index.js';
import { WINDOW } from '../../../src/backends/shared-memory/lock-table.js';
import { cached } from './support.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('shared-memory: creation locks (one thread, several handles)', () => {
  it('locks a cold key (no entry), independently of the entries and their eviction', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 2, maxBytes: 8192 });
    const mutex = backend.getMutex('cold');
    expect(mutex.acquireSync(false)).to.equal(true);
    for (let i = 0; i < 10; i++) backend.setSync(`fill-${i}`, cached(i));
    expect(backend.getMutex('cold').acquireSync(false)).to.equal(false);
    mutex.releaseSync();
    expect(backend.getMutex('cold').lockedSync()).to.equal(false);
  });

  it('is not re-entrant, and release only frees this acquisition', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 });
    const mutex = backend.getMutex('k');
    expect(mutex.acquireSync()).to.equal(true);
    expect(mutex.acquireSync(false)).to.equal(false);
    expect(mutex.acquire(false)).to.equal(false);
    const other = backend.getMutex('k');
    other.releaseSync();
    expect(mutex.lockedSync()).to.equal(true);
    mutex.releaseSync();
    mutex.releaseSync();
    expect(mutex.lockedSync()).to.equal(false);
  });

  it('is shared by every handle on the table', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 });
    const attached = SharedMemoryBackend.attach(backend.share());
    const mutex = backend.getMutex('k');
    expect(mutex.acquireSync(false)).to.equal(true);
    expect(attached.getMutex('k').lockedSync()).to.equal(true);
    expect(attached.getMutex('k').acquireSync(false)).to.equal(false);
    mutex.releaseSync();
    expect(attached.getMutex('k').acquireSync(false)).to.equal(true);
  });

  it('an async waiter is woken by the release', async () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 });
    const holder = backend.getMutex('k');
    expect(holder.acquireSync()).to.equal(true);
    let settled = false;
    const waiting = Promise.resolve(backend.getMutex('k').acquire(true, 10_000)).then((acquired) => {
      settled = true;
      return acquired;
    });
    await sleep(30);
    expect(settled).to.equal(false);
    holder.release();
    expect(await waiting).to.equal(true);
  });

  it('waits are bounded: sync and async acquire answer false when the time runs out', async () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 });
    const holder = backend.getMutex('k');
    holder.acquireSync();
    expect(backend.getMutex('k').acquireSync(true, 30)).to.equal(false);
    expect(await backend.getMutex('k').acquire(true, 30)).to.equal(false);
    expect(await backend.getMutex('k').acquire(true, 0)).to.equal(false);
  });

  it('without a timeout, a wait is bounded by the region lock timeout', async () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 });
    backend.useRegionOptions({ expirationTimeMs: 1000, lockTimeoutMs: 40 });
    backend.getMutex('k').acquireSync();
    expect(await backend.getMutex('k').acquire()).to.equal(false);
    expect(backend.getMutex('k').acquireSync()).to.equal(false);
  });

  it('a holder that stops renewing loses the lock after the lease; its late release reports lockLost and frees nothing', async () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192, lockLease: 100 });
    const events: BackendEvent[] = [];
    backend.setEventSink((event) => events.push(event));
    const stalled = backend.getMutex('k');
    expect(stalled.acquireSync()).to.equal(true);
    // Block this thread past the lease: the renewal timer cannot run, like a creator that hogs the CPU.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    const successor = backend.getMutex('k');
    expect(successor.acquireSync(true, 1_000)).to.equal(true);
    stalled.releaseSync();
    expect(events).to.deep.include({ type: 'lockLost', key: 'k', detail: 'the lease ran out and another thread took the lock over before release' });
    expect(successor.lockedSync(), 'the successor still holds it').to.equal(true);
    successor.releaseSync();
    await sleep(10);
  });

  it('a renewed lease keeps an async holder\'s lock for as long as it runs', async () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192, lockLease: 600 });
    const holder = backend.getMutex('k');
    expect(await holder.acquire()).to.equal(true);
    await sleep(1_500);
    expect(backend.getMutex('k').acquireSync(false)).to.equal(false);
    holder.release();
  });

  it('many keys can be held at once; a full lock window answers busy instead of failing', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192, lockSlots: 16 });
    const held = Array.from({ length: WINDOW }, (_, i) => backend.getMutex(`key-${i}`));
    for (const mutex of held) expect(mutex.acquireSync(false)).to.equal(true);
    expect(backend.getMutex('one-more').acquireSync(false)).to.equal(false);
    expect(backend.getMutex('one-more').acquireSync(true, 20)).to.equal(false);
    held[3]!.releaseSync();
    expect(backend.getMutex('one-more').acquireSync(false)).to.equal(true);
  });

  it('close() releases the locks this handle holds', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 });
    const other = SharedMemoryBackend.attach(backend.share());
    expect(backend.getMutex('a').acquireSync()).to.equal(true);
    expect(backend.getMutex('b').acquireSync()).to.equal(true);
    backend.close();
    expect(other.getMutex('a').lockedSync()).to.equal(false);
    expect(other.getMutex('b').lockedSync()).to.equal(false);
  });
});
