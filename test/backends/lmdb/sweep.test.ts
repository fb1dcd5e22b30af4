// The lmdb size bounds and sweeps: expired first, then oldest; entries and bytes; timer sweeps;
// eviction events; one sweeper at a time.
import { expect } from 'chai';
import { open } from 'lmdb';
import type { BackendEvent } from '../../../src/backends/api.js';
import { LmdbBackend } from '../../../src/backends/lmdb/index.js';
import { encodeEnvelope, makeRegion, msgpackSerializer, NO_VALUE } from '../../../src/index.js';
import { freshDir, removeTempDirs } from './support.js';

after(removeTempDirs);

const entry = (payload: unknown, createdAt: number) => encodeEnvelope(createdAt, msgpackSerializer(payload));

function stats(path: string): { entries: number; bytes: number; keys: string[] } {
  const env = open({ path, noSync: true });
  const values = env.openDB('dogpile:values', { encoding: 'binary' });
  const raw = values.getStats() as { entryCount: number; pageSize: number; treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number };
  const keys = [...values.getKeys()] as string[];
  void env.close();
  return { entries: raw.entryCount, bytes: (raw.treeBranchPageCount + raw.treeLeafPageCount + raw.overflowPages) * raw.pageSize, keys };
}

describe('lmdb: size bounds and sweeps', () => {
  const opened: LmdbBackend[] = [];
  const backend = (path: string, args: Record<string, unknown>): LmdbBackend => {
    const made = new LmdbBackend({ path, ...args });
    opened.push(made);
    return made;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((made) => made.close()));
  });

  it('maxEntries: writes past the bound evict the oldest entries; the newest survive', () => {
    const path = freshDir();
    const store = backend(path, { maxEntries: 100 });
    const start = Date.now() - 10_000;
    for (let i = 0; i < 300; i++) {
      store.setSync(`k${i}`, entry(i, start + i));
      expect(stats(path).entries, `after write ${i}`).to.be.at.most(100 + 10);
    }
    const { entries, keys } = stats(path);
    expect(entries).to.be.within(90, 100);
    for (let i = 290; i < 300; i++) expect(keys).to.include(`k${i}`);
    for (let i = 0; i < 190; i++) expect(keys).to.not.include(`k${i}`);
  });

  it('expired entries (and bytes that are not entries) go before any fresh one is evicted', () => {
    const path = freshDir();
    const store = backend(path, { maxEntries: 100, maxAge: '1m' });
    const now = Date.now();
    for (let i = 0; i < 20; i++) store.setSync(`old${i}`, entry(i, now - 120_000));
    store.setSync('garbage', new Uint8Array([9, 9, 9]));
    for (let i = 0; i < 85; i++) store.setSync(`fresh${i}`, entry(i, now - 1_000 + i));
    // 106 entries: over the bound, but not yet at a write-triggered check (every 10 writes here).
    expect(store.sweep()).to.equal(21);
    const { keys } = stats(path);
    expect(keys.filter((key) => key.startsWith('old'))).to.deep.equal([]);
    expect(keys).to.not.include('garbage');
    expect(keys.filter((key) => key.startsWith('fresh'))).to.have.length(85);
  });

  it('maxBytes: the pages of the values database stay within the bound', () => {
    const path = freshDir();
    const store = backend(path, { maxBytes: 1_000_000 });
    const payload = 'x'.repeat(10_000);
    for (let i = 0; i < 300; i++) store.setSync(`k${i}`, entry(payload, Date.now()));
    const { bytes, entries } = stats(path);
    expect(bytes).to.be.at.most(1_000_000 + 64 * 12_288);
    expect(entries).to.be.lessThan(150);
    expect(store.getSync('k299')).to.not.equal(NO_VALUE);
  });

  it('the sweep timer removes expired entries without any write', async () => {
    const path = freshDir();
    const store = backend(path, { maxAge: '150ms', sweepInterval: '50ms' });
    for (let i = 0; i < 20; i++) store.setSync(`k${i}`, entry(i, Date.now()));
    expect(stats(path).entries).to.equal(20);
    const deadline = Date.now() + 10_000;
    while (stats(path).entries > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stats(path).entries).to.equal(0);
  });

  it('evictions reach the region as events and in stats', async () => {
    const region = makeRegion().configure('lmdb', { expirationTime: '1m', arguments: { path: freshDir(), maxEntries: 20 } });
    await region.ready;
    const evicted: number[] = [];
    region.on('eviction', (event) => evicted.push(event.count));
    for (let i = 0; i < 60; i++) region.setSync(`k${i}`, i);
    expect(evicted.length).to.be.greaterThan(0);
    expect(evicted.reduce((a, b) => a + b, 0)).to.be.within(40, 60);
    expect(region.getSync('k59')).to.equal(59);
    await region.close();
  });

  it('only one process sweeps at a time: a busy sweep lock makes sweep() a no-op', () => {
    const path = freshDir();
    const store = backend(path, { maxAge: '1m' });
    const other = backend(path, {});
    store.setSync('old', entry('x', Date.now() - 120_000));
    const sweepLock = (other as unknown as { locks: { mutex(key: string): { acquireSync(wait: boolean): boolean; releaseSync(): void } } }).locks.mutex('\0sweep');
    expect(sweepLock.acquireSync(false)).to.equal(true);
    expect(store.sweep()).to.equal(0);
    sweepLock.releaseSync();
    expect(store.sweep()).to.equal(1);
    const events: BackendEvent[] = [];
    store.setEventSink((event) => events.push(event));
    store.setSync('old2', entry('x', Date.now() - 120_000));
    expect(store.sweep()).to.equal(1);
    expect(events).to.deep.equal([{ type: 'eviction', count: 1 }]);
  });
});
