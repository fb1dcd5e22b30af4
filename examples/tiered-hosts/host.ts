// One process of a host: a tiered region — shared memory for its threads, lmdb at the host's
// directory for its processes, Redis for every host — used by its main thread and two workers.
// Prints what its callers got, as JSON.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { makeRegion } from '../../src/index.js';
import { stampede, type Stampede } from './stampede.js';

const [directory, redisUrl, prefix, startAt] = process.argv.slice(2) as [string, string, string, string];

const region = makeRegion({ name: 'reports' }).configure('tiered', {
  expirationTime: '1m',
  arguments: {
    tiers: [
      { backend: 'shared-memory', arguments: { maxEntries: 10_000, maxBytes: 16 * 2 ** 20 } },
      { backend: 'lmdb', arguments: { path: directory } },
      { backend: 'redis', arguments: { url: redisUrl, prefix } },
    ],
  },
});

const task: Stampede = { startAt: Number(startAt), callers: 25, creatorCalls: new Int32Array(new SharedArrayBuffer(4)) };
const workers = Array.from(
  { length: 2 },
  () => new Worker(new URL('./thread-boot.mjs', import.meta.url), { workerData: { handle: region.share(), task } }),
);
const fromWorkers = workers.map(async (worker) => (await once(worker, 'message'))[0] as string[]);
const values = [...(await stampede(region, task)), ...(await Promise.all(fromWorkers)).flat()];
await region.close();
console.log(JSON.stringify({ creatorCalls: Atomics.load(task.creatorCalls, 0), values }));
