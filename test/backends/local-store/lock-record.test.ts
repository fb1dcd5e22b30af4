import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { threadId } from 'node:worker_threads';
import {
  Backoff,
  LOCK_RECORD_SIZE,
  decodeLockRecord,
  encodeLockRecord,
  isProcessAlive,
  isStale,
  newLockToken,
  ownRecord,
} from '../../../src/backends/local-store/index.js';

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('local-store: lock records, staleness and backoff', () => {
  it('a record round-trips through its 36 bytes', () => {
    const record = ownRecord(newLockToken(), 1_700_000_000_123.5);
    const bytes = encodeLockRecord(record);
    expect(bytes.length).to.equal(LOCK_RECORD_SIZE);
    expect(decodeLockRecord(bytes)).to.deep.equal({ pid: process.pid, threadId, token: record.token, leaseUntil: 1_700_000_000_123.5 });
  });

  it('tokens are 32 hex characters and differ', () => {
    const tokens = new Set(Array.from({ length: 100 }, newLockToken));
    expect(tokens.size).to.equal(100);
    for (const token of tokens) expect(token).to.match(/^[0-9a-f]{32}$/);
  });

  it('bytes that are not a whole record decode to undefined', () => {
    const bytes = encodeLockRecord(ownRecord(newLockToken(), 1));
    expect(decodeLockRecord(undefined)).to.equal(undefined);
    expect(decodeLockRecord(new Uint8Array(0))).to.equal(undefined);
    expect(decodeLockRecord(bytes.subarray(0, LOCK_RECORD_SIZE - 1))).to.equal(undefined);
    const foreign = Buffer.from(bytes);
    foreign[0] = 0;
    expect(decodeLockRecord(foreign)).to.equal(undefined);
  });

  it('process liveness: this process and its parent are alive, an exited one is not', () => {
    expect(isProcessAlive(process.pid)).to.equal(true);
    expect(isProcessAlive(process.ppid)).to.equal(true);
    expect(isProcessAlive(deadPid())).to.equal(false);
    expect(isProcessAlive(0)).to.equal(false);
    expect(isProcessAlive(-5)).to.equal(false);
  });

  it('a record is stale when its lease passed, or its owner died and the pid check is on', () => {
    const now = Date.now();
    const live = { pid: process.ppid, threadId: 0, token: newLockToken(), leaseUntil: now + 10_000 };
    expect(isStale(live, now, { checkOwnerAlive: true })).to.equal(false);
    expect(isStale({ ...live, leaseUntil: now }, now, { checkOwnerAlive: true })).to.equal(true);
    const orphan = { ...live, pid: deadPid() };
    expect(isStale(orphan, now, { checkOwnerAlive: true })).to.equal(true);
    expect(isStale(orphan, now, { checkOwnerAlive: false }), 'pid check off: only the lease counts').to.equal(false);
    // A thread of this very process cannot be probed: its lease decides.
    expect(isStale({ ...live, pid: process.pid, threadId: 99 }, now, { checkOwnerAlive: true })).to.equal(false);
  });

  it('backoff starts near 1 ms, stays within the ceiling and the time left, never below 1 ms', () => {
    const backoff = new Backoff(20);
    const delays = Array.from({ length: 40 }, () => backoff.next(1_000));
    expect(delays[0]).to.be.at.most(1.5);
    for (const delay of delays) expect(delay).to.be.within(1, 20);
    expect(Math.max(...delays.slice(-10))).to.be.greaterThan(5);
    expect(new Backoff(20).next(0.2)).to.equal(1);
    const capped = new Backoff(1_000);
    for (let i = 0; i < 30; i++) capped.next(1_000);
    expect(capped.next(3)).to.be.at.most(3);
  });
});
