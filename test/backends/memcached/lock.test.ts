import { expect } from 'chai';
import type { BackendEvent } from '../../../src/backends/api.js';
import { backoffDelay } from '../../../src/backends/memcached/lock.js';
import { BackendPool, rawClient, sleep } from './support.js';

/** Waits for a condition, polling; fails after `limitMs` (a bound, never a timing assertion). */
async function eventually(condition: () => boolean | Promise<boolean>, limitMs = 8000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${limitMs} ms`);
    await sleep(20);
  }
}

describe('memcached backend: add-based lock', () => {
  const pool = new BackendPool();
  let raw: ReturnType<typeof rawClient>;
  before(() => (raw = rawClient()));
  afterEach(() => pool.closeAll());
  after(() => raw.close());

  /** Two backends over the same prefix stand in for two processes. */
  function twoProcesses(options: Parameters<BackendPool['create']>[0] = {}) {
    const first = pool.create(options);
    const second = pool.create({ ...options, prefix: first.options.prefix });
    return [first, second] as const;
  }

  it('one holder at a time; the record holds the holder token; release frees it', async () => {
    const [a, b] = twoProcesses();
    const mine = a.getMutex('k')!;
    const theirs = b.getMutex('k')!;
    expect(await mine.acquire(false)).to.equal(true);
    expect(await theirs.acquire(false)).to.equal(false);
    expect(await mine.locked()).to.equal(true);
    expect(await theirs.locked()).to.equal(true);
    const record = await raw.get(a.memcachedLockKey('k'));
    expect(String(record.value)).to.match(new RegExp(`^${process.pid}:[0-9a-f-]{36}$`));
    await mine.release();
    expect(await theirs.locked()).to.equal(false);
    expect(await theirs.acquire(false)).to.equal(true);
    await theirs.release();
  });

  it('the lock record does not collide with the value of the same key', async () => {
    const [a] = twoProcesses();
    const mutex = a.getMutex('k')!;
    expect(await mutex.acquire(false)).to.equal(true);
    expect(a.memcachedLockKey('k')).to.not.equal(a.memcachedKey('k'));
    expect(await a.get('k')).to.have.property('noValue', true);
    await mutex.release();
  });

  it('exactly one of many concurrent contenders wins', async () => {
    const first = pool.create();
    const contenders = [first, ...Array.from({ length: 19 }, () => pool.create({ prefix: first.options.prefix }))];
    const mutexes = contenders.map((backend) => backend.getMutex('hot')!);
    const results = await Promise.all(mutexes.map((mutex) => mutex.acquire(false)));
    expect(results.filter(Boolean)).to.have.length(1);
    await mutexes[results.indexOf(true)]!.release();
  });

  it('a waiter gets the lock when the holder releases it', async () => {
    const [a, b] = twoProcesses();
    const holder = a.getMutex('k')!;
    expect(await holder.acquire(false)).to.equal(true);
    const waiting = b.getMutex('k')!.acquire(true, 10_000);
    await sleep(150);
    await holder.release();
    expect(await waiting).to.equal(true);
  });

  it('a bounded wait resolves false when the time runs out', async () => {
    const [a, b] = twoProcesses();
    const holder = a.getMutex('k')!;
    expect(await holder.acquire(false)).to.equal(true);
    const started = Date.now();
    expect(await b.getMutex('k')!.acquire(true, 300)).to.equal(false);
    expect(Date.now() - started).to.be.at.least(290);
    await holder.release();
  });

  it('a wait with no bound given uses lockTimeout, else the region lock timeout', async () => {
    const [a, b] = twoProcesses({ lockTimeout: 200 });
    expect(await a.getMutex('k')!.acquire(false)).to.equal(true);
    expect(await b.getMutex('k')!.acquire(true)).to.equal(false);
    const c = pool.create({ prefix: a.options.prefix });
    c.useRegionOptions({ expirationTimeMs: 1000, lockTimeoutMs: 200 });
    expect(await c.getMutex('k')!.acquire(true)).to.equal(false);
  });

  it("a holder that stops renewing (a dead process) loses the lock when its lease ends", async () => {
    const [a, b] = twoProcesses({ lockLease: '2s' });
    const dead = a.getMutex('k')!;
    expect(await dead.acquire(false)).to.equal(true);
    dead.abandon(); // no renewals, no release: as if the process was gone
    expect(await b.getMutex('k')!.acquire(false)).to.equal(false);
    expect(await b.getMutex('k')!.acquire(true, 6000)).to.equal(true);
  });

  it('a live holder renews its lease past the lease time', async () => {
    const [a, b] = twoProcesses({ lockLease: '2s', lockRenewInterval: 300 });
    const holder = a.getMutex('k')!;
    expect(await holder.acquire(false)).to.equal(true);
    await sleep(3500);
    expect(await b.getMutex('k')!.acquire(false)).to.equal(false);
    await holder.release();
    expect(await b.getMutex('k')!.acquire(false)).to.equal(true);
  });

  it("a release after the lease was lost never deletes the new owner's lock, and is reported", async () => {
    const [a, b] = twoProcesses({ lockLease: '30s' });
    const events: BackendEvent[] = [];
    a.setEventSink((event) => events.push(event));
    const old = a.getMutex('k')!;
    expect(await old.acquire(false)).to.equal(true);
    // The lease ran out (simulated by removing the record) and another process took the lock.
    await raw.delete(a.memcachedLockKey('k'));
    const owner = b.getMutex('k')!;
    expect(await owner.acquire(false)).to.equal(true);
    await old.release();
    expect(await owner.locked()).to.equal(true);
    expect(await a.getMutex('k')!.acquire(false)).to.equal(false);
    expect(events.map((event) => event.type)).to.deep.equal(['lockLost']);
    expect(events[0]).to.include({ key: 'k' });
    await owner.release();
  });

  it('a renewal that finds the lock gone reports it once and stops renewing', async () => {
    const [a, b] = twoProcesses({ lockLease: '2s', lockRenewInterval: 200 });
    const events: BackendEvent[] = [];
    a.setEventSink((event) => events.push(event));
    const old = a.getMutex('k')!;
    expect(await old.acquire(false)).to.equal(true);
    await raw.delete(a.memcachedLockKey('k'));
    const owner = b.getMutex('k')!;
    expect(await owner.acquire(false)).to.equal(true);
    await eventually(() => events.length > 0);
    await sleep(500); // further renewals would report again
    await old.release();
    expect(events.map((event) => event.type)).to.deep.equal(['lockLost']);
    expect(await owner.locked()).to.equal(true);
    await owner.release();
  });

  it('close() releases the locks the backend holds', async () => {
    const [a, b] = twoProcesses();
    expect(await a.getMutex('one')!.acquire(false)).to.equal(true);
    expect(await a.getMutex('two')!.acquire(false)).to.equal(true);
    await a.close();
    expect(await b.getMutex('one')!.locked()).to.equal(false);
    expect(await b.getMutex('two')!.locked()).to.equal(false);
  });

  it('distributedLock: false leaves locking to the region', () => {
    expect(pool.create({ distributedLock: false }).getMutex('k')).to.equal(undefined);
  });

  it('backoff delays stay within [min, min(max, min × 2^attempt)] and spread out', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      for (const random of [0, 0.5, 0.999]) {
        const delay = backoffDelay(attempt, 5, 100, () => random);
        expect(delay).to.be.at.least(5);
        expect(delay).to.be.at.most(Math.min(100, 5 * 2 ** attempt));
      }
    }
    const spread = new Set(Array.from({ length: 20 }, () => Math.round(backoffDelay(5, 5, 100))));
    expect(spread.size).to.be.greaterThan(5);
  });
});
