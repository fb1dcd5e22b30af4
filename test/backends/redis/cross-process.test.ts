// The dogpile lock across processes through Redis: 3 processes × 50 concurrent callers on one key.
import { expect } from 'chai';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { makeRegion } from '../../../src/index.js';
import { rawClient, sharedRedisUrl, uniquePrefix } from './support.js';

const CHILD = fileURLToPath(new URL('./fixtures/stampede-child.ts', import.meta.url));
const PROCESSES = 3;
const CALLERS = 50;

async function stampede(prefix: string, key: string, creatorMs: number): Promise<string[][]> {
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < PROCESSES; i++) {
      children.push(
        fork(CHILD, [sharedRedisUrl(), prefix, key, String(CALLERS), String(creatorMs)], { execArgv: ['--import', 'tsx'], stdio: 'inherit' }),
      );
    }
    // Everyone connected first, then all start together.
    await Promise.all(children.map((child) => once(child, 'message')));
    const answers = children.map((child) => once(child, 'message') as Promise<[{ results: string[] }]>);
    for (const child of children) child.send('go');
    return (await Promise.all(answers)).map(([answer]) => answer.results);
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

describe('redis: the dogpile lock across processes', function () {
  this.timeout(60_000);
  let raw: Redis;
  before(() => {
    raw = rawClient();
  });
  after(() => raw.disconnect());

  it(`${PROCESSES} processes × ${CALLERS} callers on one cold key: exactly one creator call`, async () => {
    const prefix = uniquePrefix('cold');
    const results = await stampede(prefix, 'hot-key', 300);
    expect(Number(await raw.get(`${prefix}creator-calls`))).to.equal(1);
    const all = results.flat();
    expect(all).to.have.length(PROCESSES * CALLERS);
    expect(new Set(all).size, 'everyone got the one created value').to.equal(1);
  });

  it('an expired key: one creator call, the stale value to all callers but the creator', async () => {
    const prefix = uniquePrefix('stale');
    const seeding = makeRegion({ name: 'stampede' }).configure('redis', { expirationTime: '1s', arguments: { url: sharedRedisUrl(), prefix } });
    await seeding.set('hot-key', 'old');
    await seeding.close();
    await new Promise((resolve) => setTimeout(resolve, 1_200));

    const results = await stampede(prefix, 'hot-key', 500);
    expect(Number(await raw.get(`${prefix}creator-calls`))).to.equal(1);
    const all = results.flat();
    const fresh = all.filter((value) => value !== 'old');
    expect(fresh, 'stale to all but the one caller that created').to.have.length(1);
    const winners = results.filter((processResults) => processResults.some((value) => value !== 'old'));
    expect(winners, 'only one process created').to.have.length(1);
    for (const processResults of results) {
      if (processResults !== winners[0]) expect(processResults.every((value) => value === 'old'), 'losers are served stale').to.equal(true);
    }
  });
});
