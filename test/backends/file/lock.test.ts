// The file lock: O_EXCL lock files with owner pid, thread, token and lease; takeover of dead or
// expired owners; files caught half-written; stale guards; renewal; lost leases.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { BackendEvent } from '../../../src/backends/api.js';
import { FileBackend } from '../../../src/backends/file/index.js';
import { decodeLockRecord, encodeLockRecord, newLockToken, sleepSync } from '../../../src/backends/local-store/index.js';
import { freshDir, removeTempDirs } from './support.js';

after(removeTempDirs);

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

function lockFileOf(backend: FileBackend, key: string): string {
  return (backend as unknown as { layout: { lockPath(key: string): string } }).layout.lockPath(`k:${key}`);
}

const recordWith = (pid: number, leaseUntil: number) => encodeLockRecord({ pid, threadId: 0, token: newLockToken(), leaseUntil });

describe('file: lock files', () => {
  const opened: FileBackend[] = [];
  const make = (directory: string, args: Record<string, unknown> = {}): FileBackend => {
    const backend = new FileBackend({ directory, ...args });
    opened.push(backend);
    return backend;
  };
  afterEach(() => {
    for (const backend of opened.splice(0)) backend.close();
  });

  it('a held lock is a file with the owner pid, thread id, token and lease; release removes it', () => {
    const backend = make(freshDir(), { lockLease: '5s' });
    const before = Date.now();
    const mutex = backend.getMutex('k');
    expect(mutex.acquireSync(false)).to.equal(true);
    const path = lockFileOf(backend, 'k');
    const record = decodeLockRecord(readFileSync(path))!;
    expect(record).to.include({ pid: process.pid, threadId });
    expect(record.token).to.match(/^[0-9a-f]{32}$/);
    expect(record.leaseUntil).to.be.within(before + 5_000, Date.now() + 5_000);
    expect(path.split('/').pop()).to.match(/^[0-9a-f]{64}\.lock$/);
    mutex.releaseSync();
    expect(existsSync(path)).to.equal(false);
    expect(readdirSync(join(backend.directory, 'locks'))).to.deep.equal([]);
  });

  it('a lock file of a dead process is taken over at once; with the pid check off, after its lease', () => {
    const directory = freshDir();
    const backend = make(directory);
    writeFileSync(lockFileOf(backend, 'k'), recordWith(deadPid(), Date.now() + 3_600_000));
    expect(backend.getMutex('k').lockedSync()).to.equal(false);
    expect(backend.getMutex('k').acquireSync(false)).to.equal(true);
    expect(decodeLockRecord(readFileSync(lockFileOf(backend, 'k')))!.pid).to.equal(process.pid);

    const patient = make(directory, { checkOwnerAlive: false });
    writeFileSync(lockFileOf(patient, 'p'), recordWith(deadPid(), Date.now() + 150));
    expect(patient.getMutex('p').acquireSync(false)).to.equal(false);
    expect(patient.getMutex('p').acquireSync(true, 5_000)).to.equal(true);
  });

  it('a lock file that is still empty (its creator is writing it) counts as held until it is a lease old', () => {
    const backend = make(freshDir(), { lockLease: '1s' });
    const path = lockFileOf(backend, 'k');
    writeFileSync(path, '');
    expect(backend.getMutex('k').lockedSync()).to.equal(true);
    expect(backend.getMutex('k').acquireSync(false)).to.equal(false);
    const old = (Date.now() - 2_000) / 1_000;
    utimesSync(path, old, old);
    expect(backend.getMutex('k').lockedSync()).to.equal(false);
    expect(backend.getMutex('k').acquireSync(false)).to.equal(true);
  });

  it('a guard left by a dead process does not block release or takeover', () => {
    const backend = make(freshDir(), { lockLease: '5s' });
    const mutex = backend.getMutex('k');
    expect(mutex.acquireSync(false)).to.equal(true);
    const path = lockFileOf(backend, 'k');
    writeFileSync(`${path}.guard`, recordWith(deadPid(), Date.now() + 60_000));
    mutex.releaseSync();
    expect(existsSync(path)).to.equal(false);
    expect(existsSync(`${path}.guard`)).to.equal(false);
    // And a stale lock behind a stale guard is still taken over.
    writeFileSync(path, recordWith(deadPid(), Date.now() + 60_000));
    writeFileSync(`${path}.guard`, recordWith(deadPid(), Date.now() + 60_000));
    expect(backend.getMutex('k').acquireSync(false)).to.equal(true);
  });

  it('a live guard makes a takeover wait for the next poll instead of racing it', () => {
    const backend = make(freshDir());
    const path = lockFileOf(backend, 'k');
    writeFileSync(path, recordWith(deadPid(), Date.now() + 60_000));
    writeFileSync(`${path}.guard`, recordWith(process.ppid, Date.now() + 60_000));
    expect(backend.getMutex('k').acquireSync(false)).to.equal(false);
    rmSync(`${path}.guard`);
    expect(backend.getMutex('k').acquireSync(false)).to.equal(true);
  });

  it('the holder renews its lock file while its event loop runs', async () => {
    const directory = freshDir();
    const holder = make(directory, { lockLease: '150ms' });
    const other = make(directory, { lockLease: '150ms' });
    const mutex = holder.getMutex('k');
    expect(mutex.acquireSync(false)).to.equal(true);
    const first = decodeLockRecord(readFileSync(lockFileOf(holder, 'k')))!.leaseUntil;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(other.getMutex('k').acquireSync(false)).to.equal(false);
    expect(decodeLockRecord(readFileSync(lockFileOf(holder, 'k')))!.leaseUntil).to.be.greaterThan(first);
    mutex.releaseSync();
    expect(other.getMutex('k').acquireSync(false)).to.equal(true);
  });

  it('a holder whose lease ran out: lockLost is reported and its release leaves the new owner alone', () => {
    const directory = freshDir();
    const slow = make(directory, { lockLease: '50ms' });
    const other = make(directory);
    const events: BackendEvent[] = [];
    slow.setEventSink((event) => events.push(event));
    const stalled = slow.getMutex('k');
    expect(stalled.acquireSync(false)).to.equal(true);
    sleepSync(120);
    const taker = other.getMutex('k');
    expect(taker.acquireSync(false)).to.equal(true);
    const newOwner = decodeLockRecord(readFileSync(lockFileOf(other, 'k')))!.token;
    stalled.releaseSync();
    expect(decodeLockRecord(readFileSync(lockFileOf(other, 'k')))!.token).to.equal(newOwner);
    expect(events).to.have.length(1);
    expect(events[0]).to.include({ type: 'lockLost', key: 'k:k' });
    taker.releaseSync();
  });

  it('the locks directory is made again if it was removed', () => {
    const backend = make(freshDir());
    rmSync(join(backend.directory, 'locks'), { recursive: true });
    const mutex = backend.getMutex('k');
    expect(mutex.acquireSync(false)).to.equal(true);
    mutex.releaseSync();
  });
});
