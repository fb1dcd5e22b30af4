// One process of the demo's last part: a tiered region (shared memory for its threads, then the
// LMDB environment every process shares) used by its main thread and one worker thread.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { makeRegion } from '../../src/index.js';

const [path, callersText] = process.argv.slice(2);
const callers = Number(callersText);
const region = makeRegion({ name: 'demo' }).configure('tiered', {
  expirationTime: '500ms',
  arguments: { tiers: [{ backend: 'shared-memory' }, { backend: 'lmdb', arguments: { path: path! } }] },
});
const creatorCalls = new Int32Array(new SharedArrayBuffer(4));
const worker = new Worker(new URL('./thread-boot.mjs', import.meta.url), { workerData: { cache: region.share(), creatorCalls, callers } });
await once(worker, 'message');

process.on('message', async (key: string) => {
  const before = Atomics.load(creatorCalls, 0);
  const fromWorker = once(worker, 'message') as Promise<[string[]]>;
  worker.postMessage(key);
  const here = Promise.all(
    Array.from({ length: callers }, () =>
      region.getOrCreate(key, async () => {
        Atomics.add(creatorCalls, 0, 1);
        await new Promise((resolve) => setTimeout(resolve, 250));
        return `rendered at ${new Date().toISOString()} by pid ${process.pid}`;
      }),
    ),
  );
  const values = [...(await here), ...(await fromWorker)[0]];
  process.send!({ creatorCalls: Atomics.load(creatorCalls, 0) - before, values });
});
process.send!('ready');
process.on('disconnect', async () => {
  worker.postMessage('close');
  await once(worker, 'exit');
  await region.close();
  process.exit(0);
});
