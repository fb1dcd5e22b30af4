import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { open as lmdbOpen } from 'lmdb';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeRegion, type CacheRegion } from '../../../src/index.js';
import { SharedStats, decodeStatsRecord, encodeStatsRecord, type StatsRecords } from '../../../src/backends/local-store/index.js';

const child = fileURLToPath(new URL('./fixtures/stats-child.ts', import.meta.url));

for (const [backend, argumentsFor] of [
  ['lmdb', (dir: string) => ({ path: dir })],
  ['file', (dir: string) => ({ directory: dir })],
] as const) {
  describe(`${backend}: stats() sums every process and thread over the same store`, function () {
    this.timeout(60_000);
    let dir: string;
    const regions: CacheRegion[] = [];
    const open = (): CacheRegion => {
      const region = makeRegion().configure(backend, { expirationTime: '1m', arguments: argumentsFor(dir) });
      regions.push(region);
      return region;
    };
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), `dogpile-stats-${backend}-`));
    });
    afterEach(async () => {
      await Promise.all(regions.splice(0).map((region) => region.close()));
      rmSync(dir, { recursive: true, force: true });
    });

    it('two regions over one store see each other’s counts', async () => {
      const [a, b] = [open(), open()];
      await a.getOrCreate('k', () => 'v');
      for (let i = 0; i < 5; i++) await a.get('k');
      await b.get('k');
      await b.get('missing');
      a.stats(); // writes a's counts now rather than after the flush delay
      const seenByB = b.stats();
      expect(seenByB.hits).to.equal(6);
      expect(seenByB.misses).to.equal(2);
      expect(seenByB.creations).to.equal(1);
      expect(a.stats()).to.deep.equal(seenByB);
    });

    it('counts of another process reach this one, written when its region closes', async () => {
      const region = open();
      await region.set('here', 1);
      await region.get('here');
      await runChild(20);
      const stats = region.stats();
      expect(stats.hits).to.equal(21);
      expect(stats.creations).to.equal(1);
      expect(stats.misses).to.equal(1);
    });

    it('the records of exited processes are folded into one retired record: counted once, never lost', async () => {
      const region = open();
      await region.get('missing');
      for (const hits of [5, 7, 9]) await runChild(hits);
      expect(writers(), 'three exited writers and this one').to.have.length(4);
      const first = region.stats();
      // The first child creates the key (a miss); the later ones find it (one more hit each).
      expect(first.hits).to.equal(5 + 8 + 10);
      expect(first.misses).to.equal(2);
      expect(first.creations).to.equal(1);
      expect(writers().sort(), 'after the snapshot that noticed them').to.deep.equal([ownWriter(), 'retired'].sort());
      expect(region.stats()).to.deep.equal(first);
      await runChild(1);
      expect(region.stats().hits).to.equal(23 + 2);
      expect(writers()).to.have.length(2);
    });

    it('checkOwnerAlive: false (processes in other pid namespaces) leaves every record alone', async () => {
      const region = makeRegion().configure(backend, { expirationTime: '1m', arguments: { ...argumentsFor(dir), checkOwnerAlive: false } });
      regions.push(region);
      await runChild(3, { checkOwnerAlive: false });
      expect(region.stats().hits).to.equal(3);
      expect(writers()).to.not.include('retired');
    });

    async function runChild(hits: number, extra: Record<string, unknown> = {}): Promise<void> {
      const args = JSON.stringify({ ...argumentsFor(dir), ...extra });
      await promisify(execFile)(process.execPath, ['--import', 'tsx', child, backend, args, String(hits)], { cwd: process.cwd() });
    }

    /** The writer names of the records in the store. */
    function writers(): string[] {
      if (backend === 'file') return readdirSync(join(dir, 'stats'));
      const env = lmdbOpen({ path: dir, noSync: true });
      try {
        const meta = env.openDB<Uint8Array, string>({ name: 'dogpile:meta', encoding: 'binary' });
        return [...meta.getKeys({ start: 'stats:', end: 'stats:\uffff' })].map((key) => String(key).slice('stats:'.length));
      } finally {
        void env.close();
      }
    }

    function ownWriter(): string {
      return writers().find((writer) => writer.startsWith(`${process.pid}.`))!;
    }
  });
}

describe('shared stats records', () => {
  it('round-trip, and untrusted bytes count as nothing instead of failing', () => {
    const stats = { hits: 3, misses: 1, staleServed: 0, creations: 1, creatorErrors: 0, lockWaits: 0, lockTimeouts: 0, evictions: 0, backendErrors: 0, deserializeErrors: 0 };
    expect(decodeStatsRecord(encodeStatsRecord(stats))).to.deep.equal(stats);
    expect(decodeStatsRecord(Buffer.from('not json'))).to.deep.equal({});
    expect(decodeStatsRecord(Buffer.from('{"hits":-5,"misses":"7","creations":2,"__proto__":{"x":1}}'))).to.deep.equal({ creations: 2 });
  });

  it('a store that cannot be read still reports this writer’s counts, and the failure is reported', () => {
    const errors: unknown[] = [];
    const broken: StatsRecords = {
      write: () => {},
      readAll: () => {
        throw new Error('disk gone');
      },
      retire: () => {},
    };
    const stats = new SharedStats(broken, (error) => errors.push(error));
    stats.increment('hits', 2);
    expect(stats.snapshot().hits).to.equal(2);
    expect(errors).to.have.length(1);
  });

  function recordingStore(): StatsRecords & { written: Array<{ hits?: number }> } {
    const written: Array<{ hits?: number }> = [];
    return { written, write: (_writer, record) => written.push(decodeStatsRecord(record)), readAll: () => [], retire: () => {} };
  }

  it('by default, counts are written by a timer after the flush delay, once for a burst', async () => {
    const records = recordingStore();
    const stats = new SharedStats(records, () => {});
    for (let i = 0; i < 5; i++) stats.increment('hits');
    expect(records.written).to.deep.equal([]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(records.written.map((record) => record.hits)).to.deep.equal([5]);
  });

  it('without timers: the first count writes at once, later ones with the first count after the delay, none while idle', async () => {
    const records = recordingStore();
    const stats = new SharedStats(records, () => {}, { flushOnTimer: false });
    for (let i = 0; i < 5; i++) stats.increment('hits');
    expect(records.written.map((record) => record.hits)).to.deep.equal([1]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(records.written, 'idle').to.have.length(1);
    stats.increment('hits');
    expect(records.written.map((record) => record.hits)).to.deep.equal([1, 6]);
    stats.increment('hits');
    stats.flush();
    expect(records.written.map((record) => record.hits)).to.deep.equal([1, 6, 7]);
  });
});
