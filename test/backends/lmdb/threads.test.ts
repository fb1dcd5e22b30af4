// Worker threads of one process over one lmdb environment: the thread gate and the lock.
import { expect } from 'chai';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { open } from 'lmdb';
import { makeRegion } from '../../../src/index.js';
import { nextMessage } from '../../support/worker-messages.js';
import { freshDir, removeTempDirs } from './support.js';

after(removeTempDirs);

async function runWorkers<T>(count: number, workerData: Record<string, unknown>): Promise<T[]> {
  const signal = new SharedArrayBuffer(4);
  const workers = Array.from(
    { length: count },
    () =>
      new Worker(new URL('../../support/ts-worker-boot.mjs', import.meta.url), {
        workerData: { ...workerData, signal, script: new URL('./fixtures/thread-worker.ts', import.meta.url).href },
      }),
  );
  try {
    await Promise.all(workers.map((worker) => nextMessage(worker)));
    const answers = workers.map((worker) => nextMessage<T>(worker));
    Atomics.store(new Int32Array(signal), 0, 1);
    Atomics.notify(new Int32Array(signal), 0);
    return await Promise.all(answers);
  } finally {
    await Promise.all(workers.map(exitOnItsOwn));
  }
}

/**
 * Waits for a worker to close its region and end. Terminating a thread while it is inside an lmdb
 * write transaction leaves the environment's write mutex held (the next write anywhere in the
 * process blocks forever) or aborts the process, so a worker is only terminated when it fails to
 * end by itself.
 */
async function exitOnItsOwn(worker: Worker): Promise<void> {
  if (worker.threadId === -1) return;
  const exited = once(worker, 'exit');
  const late = setTimeout(() => void worker.terminate(), 20_000);
  try {
    await exited;
  } finally {
    clearTimeout(late);
  }
}

describe('lmdb: worker threads of one process', function () {
  this.timeout(60_000);

  it('threads share one gate per process: exactly one enters for a key, the others are told it is busy', async () => {
    const region = makeRegion().configure('lmdb', { arguments: { path: freshDir() } });
    await region.ready;
    const answers = await runWorkers<{ entered: boolean; entry: string }>(4, { handle: region.share(), task: 'gate' });
    expect(answers.filter((answer) => answer.entered)).to.have.length(1);
    expect(answers.filter((answer) => answer.entry === 'busy')).to.have.length(3);
    await region.close();
  });

  it('4 threads × 25 callers on a cold key: one creator call', async () => {
    const path = freshDir();
    const region = makeRegion().configure('lmdb', { expirationTime: '1m', arguments: { path } });
    await region.ready;
    const answers = await runWorkers<{ creatorCalls: number; values: string[] }>(4, { handle: region.share(), task: 'stampede' });
    expect(answers.reduce((sum, answer) => sum + answer.creatorCalls, 0)).to.equal(1);
    expect(answers.flatMap((answer) => answer.values).every((value) => value === 'made once')).to.equal(true);
    expect(await region.get('cold')).to.equal('made once');
    // The threads of a process count in one record: ended threads leave no records behind.
    expect(region.stats().creations).to.equal(1);
    const meta = open({ path, noSync: true });
    const records = [...meta.openDB({ name: 'dogpile:meta', encoding: 'binary' }).getKeys({ start: 'stats:', end: 'stats:\uffff' })];
    await meta.close();
    expect(records.map(String)).to.have.length(1);
    expect(String(records[0])).to.match(new RegExp(`^stats:${process.pid}\\.p`));
    await region.close();
  });
});

describe('lmdb: a worker thread writes only while it works', function () {
  this.timeout(60_000);

  // Pools terminate idle workers, and lmdb aborts the process when a thread is terminated inside a
  // write: a worker must leave the environment untouched while idle, sweeps and stats included.
  it('nothing is written while the worker is idle, even with a sweep due every 10 ms; its counts arrive with its next operation', async () => {
    const path = freshDir();
    const setup = makeRegion().configure('lmdb', { expirationTime: '1m', arguments: { path, sweepInterval: '10ms' } });
    await setup.ready;
    const handle = setup.share();
    await setup.close(); // no backend left in this thread: every write from now on is the worker's
    const observer = open({ path, noSync: true });
    const lastTxnId = (): number => (observer.getStats() as { lastTxnId: number }).lastTxnId;

    const signal = new SharedArrayBuffer(4);
    const worker = new Worker(new URL('../../support/ts-worker-boot.mjs', import.meta.url), {
      workerData: { handle, task: 'idle', signal, script: new URL('./fixtures/thread-worker.ts', import.meta.url).href },
    });
    try {
      await once(worker, 'message'); // ready
      const idle = once(worker, 'message');
      Atomics.store(new Int32Array(signal), 0, 1);
      Atomics.notify(new Int32Array(signal), 0);
      await idle;
      const whenIdle = lastTxnId();
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(lastTxnId(), 'transactions committed while the worker was idle').to.equal(whenIdle);

      const worked = once(worker, 'message');
      worker.postMessage('finish');
      await worked;
      expect(lastTxnId(), 'its pending counts are written with its next operation').to.be.greaterThan(whenIdle);
      const region = makeRegion().configure('lmdb', { expirationTime: '1m', arguments: { path } });
      const stats = region.stats();
      await region.close();
      expect(stats.creations).to.equal(20);
      expect(stats.hits).to.equal(21);
      worker.postMessage('close');
    } finally {
      await exitOnItsOwn(worker);
      await observer.close();
    }
  });
});
