// The file size bounds and sweeps: expired first, then oldest (by file time); entries and bytes;
// timer sweeps; cleanup of crashed writers' temp files and of lock files nobody holds.
import { expect } from 'chai';
import { readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { FileBackend } from '../../../src/backends/file/index.js';
import { encodeLockRecord, newLockToken } from '../../../src/backends/local-store/index.js';
import { encodeEnvelope, makeRegion, msgpackSerializer, NO_VALUE } from '../../../src/index.js';
import { freshDir, removeTempDirs } from './support.js';

after(removeTempDirs);

const entry = (payload: unknown, createdAt = Date.now()) => encodeEnvelope(createdAt, msgpackSerializer(payload));

function files(directory: string): { count: number; bytes: number } {
  const root = join(directory, 'entries');
  let count = 0;
  let bytes = 0;
  for (const sub of readdirSync(root)) {
    for (const name of readdirSync(join(root, sub))) {
      count++;
      bytes += statSync(join(root, sub, name)).size;
    }
  }
  return { count, bytes };
}

const pathOf = (backend: FileBackend, key: string) => (backend as unknown as { layout: { entryPath(key: string): string } }).layout.entryPath(key);

/** Sets a file's modification time, standing for when the entry was written. */
function age(path: string, epochMs: number): void {
  utimesSync(path, epochMs / 1_000, epochMs / 1_000);
}

describe('file: size bounds and sweeps', () => {
  const opened: FileBackend[] = [];
  const make = (directory: string, args: Record<string, unknown>): FileBackend => {
    const backend = new FileBackend({ directory, ...args });
    opened.push(backend);
    return backend;
  };
  afterEach(() => {
    for (const backend of opened.splice(0)) backend.close();
  });

  it('maxEntries: no write takes the directory past the bound; the newest entries survive', () => {
    const directory = freshDir();
    const store = make(directory, { maxEntries: 100 });
    const base = Date.now() - 1_000_000;
    for (let i = 0; i < 300; i++) {
      store.setSync(`k${i}`, entry(i));
      age(pathOf(store, `k${i}`), base + i * 1_000);
      expect(files(directory).count, `after write ${i}`).to.be.at.most(100);
    }
    for (let i = 290; i < 300; i++) expect(store.getSync(`k${i}`)).to.not.equal(NO_VALUE);
    for (let i = 0; i < 190; i++) expect(store.getSync(`k${i}`)).to.equal(NO_VALUE);
  });

  it('expired entries go before any fresh one is evicted', () => {
    const directory = freshDir();
    const store = make(directory, { maxEntries: 100, maxAge: '1m' });
    for (let i = 0; i < 20; i++) {
      store.setSync(`old${i}`, entry(i, Date.now() - 120_000));
      age(pathOf(store, `old${i}`), Date.now() - 120_000);
    }
    for (let i = 0; i < 85; i++) store.setSync(`fresh${i}`, entry(i));
    expect(files(directory).count).to.equal(85);
    for (let i = 0; i < 85; i++) expect(store.getSync(`fresh${i}`)).to.not.equal(NO_VALUE);
  });

  it('maxBytes: the entry files stay within the bound', () => {
    const directory = freshDir();
    const store = make(directory, { maxBytes: 200_000 });
    const payload = 'x'.repeat(10_000);
    for (let i = 0; i < 100; i++) {
      store.setSync(`k${i}`, entry(payload));
      expect(files(directory).bytes).to.be.at.most(200_000);
    }
    expect(store.getSync('k99')).to.not.equal(NO_VALUE);
  });

  it('the sweep timer removes expired entries without any write', async () => {
    const directory = freshDir();
    const store = make(directory, { maxAge: '150ms', sweepInterval: '50ms' });
    for (let i = 0; i < 20; i++) store.setSync(`k${i}`, entry(i));
    expect(files(directory).count).to.equal(20);
    const deadline = Date.now() + 10_000;
    while (files(directory).count > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(files(directory).count).to.equal(0);
  });

  it('a sweep clears temp files of crashed writers and lock files nobody holds, and leaves live ones', () => {
    const directory = freshDir();
    const store = make(directory, {});
    const staleTemp = join(directory, 'tmp', 'crashed-writer');
    const freshTemp = join(directory, 'tmp', 'writing-now');
    writeFileSync(staleTemp, 'half');
    writeFileSync(freshTemp, 'half');
    age(staleTemp, Date.now() - 120_000);
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const deadLock = join(directory, 'locks', `${'a'.repeat(64)}.lock`);
    writeFileSync(deadLock, encodeLockRecord({ pid: dead, threadId: 0, token: newLockToken(), leaseUntil: Date.now() + 60_000 }));
    const held = store.getMutex('held');
    expect(held.acquireSync(false)).to.equal(true);
    store.sweep();
    expect(readdirSync(join(directory, 'tmp'))).to.deep.equal(['writing-now']);
    const locks = readdirSync(join(directory, 'locks'));
    expect(locks).to.have.length(1);
    expect(locks[0]).to.not.equal(`${'a'.repeat(64)}.lock`);
    held.releaseSync();
  });

  it('evictions reach the region as events', async () => {
    const region = makeRegion().configure('file', { expirationTime: '1m', arguments: { directory: freshDir(), maxEntries: 20 } });
    await region.ready;
    const evicted: number[] = [];
    region.on('eviction', (event) => evicted.push(event.count));
    for (let i = 0; i < 60; i++) region.setSync(`k${i}`, i);
    expect(evicted.reduce((a, b) => a + b, 0)).to.be.within(40, 60);
    expect(region.getSync('k59')).to.equal(59);
    await region.close();
  });

  it('only one process sweeps at a time: a busy sweep lock makes sweep() a no-op', () => {
    const directory = freshDir();
    const store = make(directory, { maxAge: '1m' });
    const other = make(directory, {});
    store.setSync('old', entry('x'));
    age(pathOf(store, 'old'), Date.now() - 120_000);
    const sweepLock = (other as unknown as { locks: { mutex(key: string): { acquireSync(wait: boolean): boolean; releaseSync(): void } } }).locks.mutex('s:sweep');
    expect(sweepLock.acquireSync(false)).to.equal(true);
    expect(store.sweep()).to.equal(0);
    sweepLock.releaseSync();
    expect(store.sweep()).to.equal(1);
  });
});
