// The lmdb lock record: what it holds, takeover of dead or expired owners, renewal, lost leases.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { threadId } from 'node:worker_threads';
import { open } from 'lmdb';
import type { BackendEvent } from '../../../src/backends/api.js';
import { LmdbBackend } from '../../../src/backends/lmdb/index.js';
import { decodeLockRecord, encodeLockRecord, newLockToken, sleepSync } from '../../../src/backends/local-store/index.js';
import { freshDir, removeTempDirs } from './support.js';

after(removeTempDirs);

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

/** Reads and writes lock records the way another process would see them. */
function rawLocks(path: string) {
  const env = open({ path, noSync: true });
  const locks = env.openDB('dogpile:locks', { encoding: 'binary' });
  return {
    read: (key: string) => {
      locks.resetReadTxn();
      return decodeLockRecord(locks.getBinary(key));
    },
    write: (key: string, record: { pid: number; threadId: number; token: string; leaseUntil: number }) => locks.putSync(key, encodeLockRecord(record)),
    close: () => env.close(),
  };
}

describe('lmdb: the cross-process lock record', () => {
  const opened: Array<{ close(): unknown }> = [];
  const track = <T extends { close(): unknown }>(item: T): T => {
    opened.push(item);
    return item;
  };
  afterEach(async () => {
    for (const item of opened.splice(0).reverse()) await item.close();
  });

  it('holds the owner pid, thread id, a token and a lease deadline; release removes it', () => {
    const path = freshDir();
    const backend = track(new LmdbBackend({ path, lockLease: '5s' }));
    const raw = track(rawLocks(path));
    const before = Date.now();
    const mutex = backend.getMutex('k');
    expect(mutex.acquireSync(false)).to.equal(true);
    const record = raw.read('k')!;
    expect(record.pid).to.equal(process.pid);
    expect(record.threadId).to.equal(threadId);
    expect(record.token).to.match(/^[0-9a-f]{32}$/);
    expect(record.leaseUntil).to.be.within(before + 5_000, Date.now() + 5_000);
    mutex.releaseSync();
    expect(raw.read('k')).to.equal(undefined);
  });

  it('a record whose owner process is dead is taken over at once, even with a long lease left', () => {
    const path = freshDir();
    const backend = track(new LmdbBackend({ path }));
    const raw = track(rawLocks(path));
    raw.write('k', { pid: deadPid(), threadId: 0, token: newLockToken(), leaseUntil: Date.now() + 3_600_000 });
    expect(backend.getMutex('k').lockedSync()).to.equal(false);
    expect(backend.getMutex('k').acquireSync(false)).to.equal(true);
    expect(raw.read('k')!.pid).to.equal(process.pid);
  });

  it('with checkOwnerAlive off, a dead owner keeps the lock until its lease passes', () => {
    const path = freshDir();
    const backend = track(new LmdbBackend({ path, checkOwnerAlive: false }));
    const raw = track(rawLocks(path));
    raw.write('k', { pid: deadPid(), threadId: 0, token: newLockToken(), leaseUntil: Date.now() + 150 });
    expect(backend.getMutex('k').lockedSync()).to.equal(true);
    expect(backend.getMutex('k').acquireSync(false)).to.equal(false);
    expect(backend.getMutex('k').acquireSync(true, 5_000)).to.equal(true);
  });

  it('a live owner of another process keeps its lock while the lease runs; an expired lease is taken over', () => {
    const path = freshDir();
    const backend = track(new LmdbBackend({ path }));
    const raw = track(rawLocks(path));
    raw.write('live', { pid: process.ppid, threadId: 0, token: newLockToken(), leaseUntil: Date.now() + 60_000 });
    expect(backend.getMutex('live').acquireSync(true, 30)).to.equal(false);
    raw.write('expired', { pid: process.ppid, threadId: 0, token: newLockToken(), leaseUntil: Date.now() - 1 });
    expect(backend.getMutex('expired').acquireSync(false)).to.equal(true);
  });

  it('the holder renews its lease while its event loop runs', async () => {
    const path = freshDir();
    const holder = track(new LmdbBackend({ path, lockLease: '150ms' }));
    const other = track(new LmdbBackend({ path, lockLease: '150ms' }));
    const raw = track(rawLocks(path));
    const mutex = holder.getMutex('k');
    expect(mutex.acquireSync(false)).to.equal(true);
    const firstLease = raw.read('k')!.leaseUntil;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(other.getMutex('k').acquireSync(false), 'still held after three leases').to.equal(false);
    expect(raw.read('k')!.leaseUntil).to.be.greaterThan(firstLease);
    mutex.releaseSync();
    expect(other.getMutex('k').acquireSync(false)).to.equal(true);
  });

  it('a holder whose lease ran out loses the lock: lockLost is reported and its release leaves the new owner alone', () => {
    const path = freshDir();
    const slow = track(new LmdbBackend({ path, lockLease: '50ms' }));
    const other = track(new LmdbBackend({ path }));
    const raw = track(rawLocks(path));
    const events: BackendEvent[] = [];
    slow.setEventSink((event) => events.push(event));
    const stalled = slow.getMutex('k');
    expect(stalled.acquireSync(false)).to.equal(true);
    // A synchronous creator that outlives the lease: no renewal can run.
    sleepSync(120);
    const taker = other.getMutex('k');
    expect(taker.acquireSync(false)).to.equal(true);
    const newOwner = raw.read('k')!.token;
    stalled.releaseSync();
    expect(raw.read('k')!.token).to.equal(newOwner);
    expect(events).to.have.length(1);
    expect(events[0]).to.include({ type: 'lockLost', key: 'k' });
    taker.releaseSync();
    expect(raw.read('k')).to.equal(undefined);
  });

  it('two handles in one thread: not re-entrant, a local release wakes a local waiter', async () => {
    const backend = track(new LmdbBackend({ path: freshDir(), lockPollInterval: '10s' }));
    const first = backend.getMutex('k');
    const second = backend.getMutex('k');
    expect(first.acquire(false)).to.equal(true);
    expect(first.acquire(false)).to.equal(false);
    const waiting = second.acquire(true, 20_000);
    setTimeout(() => first.release(), 20);
    // With a 10 s poll ceiling only the local wake-up can end this wait promptly.
    expect(await waiting).to.equal(true);
    second.release();
  });

  it('right after taking the lock, reads see what the previous holder committed, even within one event turn', () => {
    const path = freshDir();
    const reader = track(new LmdbBackend({ path }));
    const writer = track(new LmdbBackend({ path }));
    const bytes = new Uint8Array([0xdc, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0]);
    // The reader misses, pinning its read snapshot for this turn.
    expect(reader.getSync('k')).to.not.be.instanceOf(Uint8Array);
    const held = writer.getMutex('k');
    expect(held.acquireSync(false)).to.equal(true);
    writer.setSync('k', bytes);
    held.releaseSync();
    // Same turn: the async API's first try looks through the old snapshot, then wins the lock.
    const mutex = reader.getMutex('k');
    expect(mutex.acquire(false)).to.equal(true);
    expect(Array.from(reader.getSync('k') as Uint8Array)).to.deep.equal(Array.from(bytes));
    mutex.release();
  });

  it('closing a backend hands back the thread-gate slot of a waiter still waiting', async () => {
    const path = freshDir();
    const raw = track(rawLocks(path));
    raw.write('k', { pid: process.ppid, threadId: 0, token: newLockToken(), leaseUntil: Date.now() + 60_000 });
    const waiterBackend = new LmdbBackend({ path });
    const probeBackend = track(new LmdbBackend({ path }));
    const gateOf = (backend: LmdbBackend) => (backend as unknown as { locks: { gate: { enter(key: string, leaseMs: number): unknown } } }).locks.gate;
    const waiting = waiterBackend.getMutex('k').acquire(true, 20_000);
    // The waiter represents this thread for the key: the slot is this thread's.
    expect(gateOf(probeBackend).enter('k', 1_000)).to.equal('bypass');
    await waiterBackend.close();
    expect(await waiting).to.equal(false);
    expect(gateOf(probeBackend).enter('k', 1_000)).to.be.an('object');
  });

  it('release without acquire, and a second release, do nothing', () => {
    const backend = track(new LmdbBackend({ path: freshDir() }));
    const mutex = backend.getMutex('k');
    mutex.releaseSync();
    expect(mutex.acquireSync(false)).to.equal(true);
    mutex.releaseSync();
    mutex.releaseSync();
    expect(mutex.lockedSync()).to.equal(false);
  });
});
