// The dogpile lock at work across every boundary a Node deployment has: concurrent promises in
// one thread, worker threads sharing memory, processes sharing an LMDB file, and all of them at
// once through a tiered region. A stampede on a cold key costs one creator call; on an expired
// key, one caller regenerates while everyone else is served the previous value at once. No server
// needed. Run with `npm run demo`.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { makeRegion } from '../src/index.js';

const CALLERS = 1_000;
// Long enough that every caller of a stampede arrives while the one creation is still running.
const CREATION_MS = 250;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Outcome {
  creatorCalls: number;
  values: string[];
}

function report(label: string, outcome: Outcome, started: number): void {
  const counts = new Map<string, number>();
  for (const value of outcome.values) counts.set(value, (counts.get(value) ?? 0) + 1);
  const newest = [...counts.keys()].sort().at(-1);
  const stale = outcome.values.filter((value) => value !== newest).length;
  console.log(
    `  ${label.padEnd(12)} ${outcome.values.length} callers → creator calls: ${outcome.creatorCalls}, ` +
      `served the previous value: ${stale}, distinct values: ${counts.size}, ${Date.now() - started} ms`,
  );
}

/** Concurrent promises in this thread, over the in-process memory backend. */
async function promisesInOneThread(): Promise<void> {
  console.log(`\n1. ${CALLERS} concurrent promises in one thread (memory backend, expirationTime 200ms)`);
  const region = makeRegion({ name: 'demo' }).configure('memory', { expirationTime: '200ms' });
  const stampede = async (label: string): Promise<void> => {
    let creatorCalls = 0;
    const started = Date.now();
    const values = await Promise.all(
      Array.from({ length: CALLERS }, () =>
        region.getOrCreate('report', async () => {
          creatorCalls++;
          await sleep(CREATION_MS); // an expensive query or render
          return `rendered at ${new Date().toISOString()}`;
        }),
      ),
    );
    report(label, { creatorCalls, values }, started);
  };
  await stampede('cold key');
  await sleep(250);
  await stampede('expired key');
  await region.close();
}

/** Four worker threads, 250 promises each, over one SharedArrayBuffer table. */
async function workerThreads(): Promise<void> {
  const threads = 4;
  console.log(`\n2. ${threads} worker threads × ${CALLERS / threads} concurrent promises (shared-memory backend, expirationTime 300ms)`);
  const region = makeRegion({ name: 'demo' }).configure('shared-memory', { expirationTime: '300ms' });
  const creatorCalls = new Int32Array(new SharedArrayBuffer(4));
  const workerData = { cache: region.share(), creatorCalls, callers: CALLERS / threads };
  const workers = Array.from({ length: threads }, () => new Worker(new URL('./demo/thread-boot.mjs', import.meta.url), { workerData }));
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('message', resolve))));
  const stampede = async (label: string): Promise<void> => {
    const before = Atomics.load(creatorCalls, 0);
    const started = Date.now();
    const results = await Promise.all(
      workers.map((worker) => {
        const answer = new Promise<string[]>((resolve) => worker.once('message', resolve));
        worker.postMessage('page');
        return answer;
      }),
    );
    report(label, { creatorCalls: Atomics.load(creatorCalls, 0) - before, values: results.flat() }, started);
  };
  await stampede('cold key');
  await sleep(350);
  await stampede('expired key');
  const stats = region.stats();
  console.log(`  stats summed over the ${threads} threads: creations ${stats.creations}, stale served ${stats.staleServed}, waits ${stats.lockWaits}`);
  await Promise.all(workers.map((worker) => (worker.postMessage('close'), once(worker, 'exit'))));
  await region.close();
}

/** Four processes, 250 promises each, over one LMDB environment on disk. */
async function processes(): Promise<void> {
  const count = 4;
  console.log(`\n3. ${count} processes × ${CALLERS / count} concurrent promises (lmdb backend, expirationTime 500ms)`);
  await stampedesInProcesses('./demo/process.ts', count, CALLERS / count);
}

/** Two processes of two threads each, 250 promises per thread, over shared memory then LMDB. */
async function everything(): Promise<void> {
  const count = 2;
  console.log(`\n4. ${count} processes × 2 threads × ${CALLERS / count / 2} concurrent promises (tiered: shared-memory → lmdb, expirationTime 500ms)`);
  await stampedesInProcesses('./demo/tiered-process.ts', count, CALLERS / count / 2);
}

/**
 * Forks `count` copies of `script` over one fresh LMDB directory, each told to run `callersEach`
 * concurrent callers per thread, and runs a cold and an expired stampede.
 */
async function stampedesInProcesses(script: string, count: number, callersEach: number): Promise<void> {
  const path = mkdtempSync(join(tmpdir(), 'dogpile-demo-'));
  const children = Array.from({ length: count }, () =>
    fork(new URL(script, import.meta.url), [path, String(callersEach)], { execArgv: ['--import', 'tsx'] }),
  );
  try {
    await Promise.all(children.map((child) => once(child, 'message')));
    const stampede = async (label: string): Promise<void> => {
      const started = Date.now();
      const results = await Promise.all(
        children.map((child) => {
          const answer = once(child, 'message').then(([message]) => message as Outcome);
          child.send('page');
          return answer;
        }),
      );
      report(label, { creatorCalls: results.reduce((sum, result) => sum + result.creatorCalls, 0), values: results.flatMap((result) => result.values) }, started);
    };
    await stampede('cold key');
    await sleep(600);
    await stampede('expired key');
  } finally {
    await Promise.all(children.map((child) => (child.disconnect(), once(child, 'exit'))));
    rmSync(path, { recursive: true, force: true });
  }
}

console.log(`dogpile-cache demo: each creator call takes ${CREATION_MS} ms; count how many run.`);
await promisesInOneThread();
await workerThreads();
await processes();
await everything();
console.log('\nOne creator call per stampede, whichever boundary the callers are spread over.');
