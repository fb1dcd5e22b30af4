// Starts a creation that never finishes, so the test can terminate this thread while it holds
// the key's creation lock.
import { parentPort, workerData } from 'node:worker_threads';
import { attachRegion, type RegionHandle } from '../../../../src/index.js';

const { cache, key } = workerData as { cache: RegionHandle; key: string };
const region = attachRegion(cache);
void region.getOrCreate(key, () => {
  parentPort!.postMessage({ creating: true });
  return new Promise<never>(() => {});
});
