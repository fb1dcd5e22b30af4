// The cross-process behaviour both on-host backends (lmdb, file) must show, with real child
// processes sharing one store: the dogpile lock over a stampede, takeover after a SIGKILLed
// holder, whole values under concurrent writers, mutual exclusion, shared invalidation.
import { expect } from 'chai';
import { isNoValue, makeRegion, NO_VALUE, type CacheRegion } from '../../../src/index.js';
import { ChildPool, type ScenarioChild } from './children.js';

export interface CrossProcessOptions {
  backend: string;
  /** Arguments over a fresh store, identical for every process of one test. */
  arguments: () => Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function crossProcessSuite(options: CrossProcessOptions): void {
  describe(`${options.backend}: the dogpile lock and storage across processes`, function () {
    this.timeout(90_000);
    before(async function () {
      this.timeout(60_000);
      await pool.take(4);
    });
    const pool = new ChildPool();
    const regions: CacheRegion[] = [];
    after(() => pool.close());
    afterEach(async () => {
      await Promise.all(regions.splice(0).map((region) => region.close()));
    });

    /** `count` child processes, each told to run one scenario over `args`. */
    async function start(count: number, args: Record<string, unknown>): Promise<Array<ScenarioChild & { go(scenario: Record<string, unknown>): void }>> {
      const taken = await pool.take(count);
      return taken.map((child) => Object.assign(child, { go: (scenario: Record<string, unknown>) => child.run(options.backend, args, scenario) }));
    }

    async function localRegion(args: Record<string, unknown>, configure: Record<string, unknown> = {}): Promise<CacheRegion> {
      const region = makeRegion({ name: 'cross-process' }).configure(options.backend, { lockTimeout: '30s', ...configure, arguments: args });
      await region.ready;
      regions.push(region);
      return region;
    }

    async function stampede(args: Record<string, unknown>, key: string, expirationMs: number): Promise<Array<{ results: string[]; creatorCalls: number }>> {
      const processes = await start(4, args);
      for (const child of processes) child.go({ kind: 'stampede', key, callers: 100, creatorMs: 300, expirationMs });
      await Promise.all(processes.map((child) => child.next('ready')));
      for (const child of processes) child.send('go');
      return Promise.all(processes.map((child) => child.result<{ results: string[]; creatorCalls: number }>()));
    }

    it('4 processes × 100 callers on a cold key: one creator call, one value for all', async () => {
      const outcome = await stampede(options.arguments(), 'cold', 60_000);
      expect(outcome.reduce((sum, child) => sum + child.creatorCalls, 0)).to.equal(1);
      const all = outcome.flatMap((child) => child.results);
      expect(all).to.have.length(400);
      expect(new Set(all).size).to.equal(1);
    });

    it('4 processes × 100 callers on an expired key: one creator call, the stale value to all other callers', async () => {
      const args = options.arguments();
      const seeding = await localRegion(args, { expirationTime: '1s' });
      await seeding.set('expiring', 'old');
      await sleep(1_200);
      const outcome = await stampede(args, 'expiring', 1_000);
      expect(outcome.reduce((sum, child) => sum + child.creatorCalls, 0)).to.equal(1);
      const all = outcome.flatMap((child) => child.results);
      expect(all.filter((value) => value !== 'old'), 'fresh only to the caller that created').to.have.length(1);
      const winners = outcome.filter((child) => child.creatorCalls === 1);
      expect(winners).to.have.length(1);
      expect(winners[0]!.results.filter((value) => value !== 'old')).to.deep.equal([`new from ${all.find((value) => value !== 'old')!.slice(9)}`]);
      expect(await seeding.get('expiring', { expirationTime: '1m' })).to.match(/^new from \d+$/);
    });

    for (const variant of [
      { title: 'owner pid checked: taken over as soon as the holder is dead', extra: {}, lockedAfterKill: false },
      { title: 'pid check off: taken over when the lease runs out', extra: { checkOwnerAlive: false, lockLease: '3s' }, lockedAfterKill: true },
    ]) {
      it(`a holder SIGKILLed mid-creation (${variant.title}); no torn value is ever read`, async () => {
        const args = { ...options.arguments(), ...variant.extra };
        const bulkLength = 20_000;
        const [holder, reader] = await start(2, args);
        holder!.go({ kind: 'hold-and-write', key: 'contended', bulkKey: 'bulk', bulkLength });
        await holder!.next('creating');
        reader!.go({ kind: 'read-bulk', bulkKey: 'bulk', bulkLength, untilMs: 1_500 });
        await sleep(300 + Math.random() * 300);
        await holder!.kill('SIGKILL');

        const region = await localRegion(args, { lockTimeout: '20s', onLockTimeout: 'error' });
        expect(await region.keyIsLocked('contended'), 'lock still held right after the kill').to.equal(variant.lockedAfterKill);
        let calls = 0;
        const value = await region.getOrCreate('contended', () => `taken over by ${process.pid} (${++calls})`);
        expect(value).to.equal(`taken over by ${process.pid} (1)`);
        expect(await region.keyIsLocked('contended')).to.equal(false);

        const seen = await reader!.result<{ reads: number; torn: number; hits: number }>();
        expect(seen.torn, 'torn reads').to.equal(0);
        expect(seen.hits, 'the reader saw the value being rewritten').to.be.greaterThan(0);
        const last = (await region.get('bulk')) as { round: number; items: number[] } | typeof NO_VALUE;
        expect(last).to.not.equal(NO_VALUE);
        if (!isNoValue(last)) {
          expect(last.items).to.have.length(bulkLength);
          expect(last.items.every((item) => item === last.round)).to.equal(true);
        }
      });
    }

    it('2 processes writing and reading 10k keys at once: every read is a whole written value', async () => {
      const args = options.arguments();
      const processes = await start(2, args);
      processes.forEach((child, writer) => child.go({ kind: 'integrity', writer, keys: 10_000, valueLength: 16 }));
      await Promise.all(processes.map((child) => child.next('ready')));
      for (const child of processes) child.send('go');
      const outcome = await Promise.all(processes.map((child) => child.result<{ reads: number; hits: number; bad: string[] }>()));
      for (const child of outcome) {
        expect(child.bad).to.deep.equal([]);
        expect(child.reads).to.equal(10_000);
        expect(child.hits).to.be.greaterThan(0);
      }
      const region = await localRegion(args);
      for (const writer of [0, 1]) {
        for (let i = 0; i < 10_000; i += 97) {
          const value = (await region.get(`k${writer}-${i}`)) as { key: string; items: number[] };
          expect(value.key).to.equal(`k${writer}-${i}`);
          expect(value.items[15]).to.equal(15 + i);
        }
      }
    });

    for (const sync of [false, true]) {
      it(`3 processes × 40 ${sync ? 'acquireSync' : 'acquire'}/release rounds never overlap (no lost increment)`, async () => {
        const args = options.arguments();
        const processes = await start(3, args);
        for (const child of processes) child.go({ kind: 'counter', key: 'mutex', rounds: 40, sync });
        await Promise.all(processes.map((child) => child.next('ready')));
        for (const child of processes) child.send('go');
        await Promise.all(processes.map((child) => child.result()));
        const region = await localRegion(args);
        expect(await region.get('mutex:count')).to.equal(120);
      });
    }

    it('invalidate() in one process reaches a region in another', async () => {
      const args = options.arguments();
      const region = await localRegion(args, { expirationTime: '1m' });
      await region.set('shared', 'before');
      const [other] = await start(1, args);
      other!.go({ kind: 'get', key: 'shared' });
      expect(await other!.result()).to.deep.equal({ value: 'before' });
      await sleep(5);
      other!.go({ kind: 'invalidate', hard: true });
      await other!.result();
      expect(await region.get('shared')).to.equal(NO_VALUE);
      expect(region.getSync('shared')).to.equal(NO_VALUE);
      expect(await region.getOrCreate('shared', () => 'after')).to.equal('after');
    });
  });
}
