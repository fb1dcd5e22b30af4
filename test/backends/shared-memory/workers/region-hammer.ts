// Hammers a region attached to a shared table with random getSync, setSync, deleteSync and
// getOrCreateSync calls on checksummed values, and reports what it saw.
import { parentPort, workerData } from 'node:worker_threads';
import { NO_VALUE, attachRegion, type RegionHandle } from '../../../../src/index.js';
import { isWhole, makeChecked } from '../support.js';

interface RegionHammerData {
  cache: RegionHandle;
  writer: number;
  operations: number;
  keyCount: number;
  maxLength: number;
  start: Int32Array;
}

const { cache, writer, operations, keyCount, maxLength, start } = workerData as RegionHammerData;
const region = attachRegion(cache);
const random = (n: number): number => Math.floor(Math.random() * n);
Atomics.wait(start, 0, 0);

const seen = { torn: 0, creatorCalls: 0, errors: [] as string[] };
for (let op = 0; op < operations; op++) {
  const key = `key-${random(keyCount)}`;
  const dice = Math.random();
  try {
    if (dice < 0.4) {
      const value = region.getSync(key);
      if (value !== NO_VALUE && !isWhole(value, key)) seen.torn++;
    } else if (dice < 0.6) {
      region.setSync(key, makeChecked(key, writer, random(maxLength)));
    } else if (dice < 0.7) {
      region.deleteSync(key);
    } else {
      const value = region.getOrCreateSync(key, () => {
        seen.creatorCalls++;
        return makeChecked(key, writer, random(maxLength));
      });
      if (!isWhole(value, key)) seen.torn++;
    }
  } catch (error) {
    if (seen.errors.length < 5) seen.errors.push(String(error));
  }
}
parentPort!.postMessage(seen);
