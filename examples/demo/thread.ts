// One worker thread of the demo: attaches to the region its parent shared and stampedes a key on
// request; on 'close' it closes the region and ends (no terminate(): see docs/backends/lmdb.md).
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

parentPort!.on('message', async (message: string) => {
  if (message === 'close') {
    await region.close();
    parentPort!.close();
    return;
  }
  parentPort!.postMessage(await stampede(message));
});
parentPort!.postMessage('ready');
