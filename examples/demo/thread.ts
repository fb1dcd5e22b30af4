// One worker thread of the demo: attaches to the region the main thread shared and stampedes a key.
import { parentPort, workerData } from 'node:worker_threads';
import { attachRegion, type RegionHandle } from '../../src/index.js';

const { cache, creatorCalls, callers } = workerData as { cache: RegionHandle; creatorCalls: Int32Array; callers: number };
const region = attachRegion(cache);

async function stampede(key: string): Promise<string[]> {
  return Promise.all(
    Array.from({ length: callers }, () =>
      region.getOrCreate(key, async () => {
        Atomics.add(creatorCalls, 0, 1);
        await new Promise((resolve) => setTimeout(resolve, 250));
        return `rendered at ${new Date().toISOString()}`;
      }),
    ),
  );
}

parentPort!.on('message', async (key: string) => {
  const values = await stampede(key);
  parentPort!.postMessage(values);
});
parentPort!.postMessage('ready');
