import { expect } from 'chai';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeRegion, type CacheRegion } from '../../../src/index.js';
import { sharedServers, sleep, uniquePrefix } from './support.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const PROCESSES = 3;
const CALLERS = 50;

interface Done {
  type: 'done';
  creatorCalls: number;
  results: string[];
}

function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string; error?: string }) => {
      if (message.type === type) {
        cleanup();
        resolve(message as T);
      } else if (message.type === 'failed') {
        cleanup();
        reject(new Error(`child ${child.pid} failed: ${message.error}`));
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`child ${child.pid} exited (${code ?? signal}) before sending ${type}`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

describe('memcached backend: one creation across processes', function () {
  this.timeout(60_000);
  const prefix = uniquePrefix('hosts');
  let children: ChildProcess[] = [];
  let parent: CacheRegion;

  before(async () => {
    children = Array.from({ length: PROCESSES }, () =>
      fork(join(here, 'children', 'stampede.ts'), [sharedServers(), prefix], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    await Promise.all(children.map((child) => nextMessage(child, 'ready')));
    parent = makeRegion({ name: 'parent' }).configure('memcached', { expirationTime: '1m', arguments: { servers: sharedServers(), prefix } });
  });

  after(async () => {
    await parent?.close();
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.send({ type: 'exit' });
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
  });

  async function stampede(key: string, expirationTime: string): Promise<Done[]> {
    const done = children.map((child) => nextMessage<Done>(child, 'done'));
    for (const child of children) child.send({ type: 'go', key, callers: CALLERS, expirationTime, creatorDelayMs: 500 });
    return Promise.all(done);
  }

  it(`${PROCESSES} processes × ${CALLERS} concurrent callers on a cold key: exactly one creator call`, async () => {
    const reports = await stampede('cold', '1m');
    const calls = reports.reduce((sum, report) => sum + report.creatorCalls, 0);
    expect(calls).to.equal(1);
    const results = reports.flatMap((report) => report.results);
    expect(results).to.have.length(PROCESSES * CALLERS);
    expect(new Set(results).size, String(new Set(results))).to.equal(1);
    expect(await parent.get('cold')).to.equal(results[0]);
  });

  it('an expired key: one process regenerates, every other caller gets the stale value at once', async () => {
    await parent.set('expired', 'old');
    await sleep(1100); // older than the children's 1 s expiration time, still stored (store TTL has a grace)
    const reports = await stampede('expired', '1s');
    const calls = reports.reduce((sum, report) => sum + report.creatorCalls, 0);
    expect(calls).to.equal(1);
    const results = reports.flatMap((report) => report.results);
    const fresh = results.filter((value) => value !== 'old');
    expect(fresh, 'callers that got the new value').to.have.length(1);
    expect(results.filter((value) => value === 'old')).to.have.length(PROCESSES * CALLERS - 1);
    expect(await parent.get('expired')).to.equal(fresh[0]);
  });
});
