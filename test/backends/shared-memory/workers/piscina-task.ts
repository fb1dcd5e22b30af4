// A Piscina task: getOrCreateSync of one key through a region attached to the shared table.
// The creator counts its calls in shared memory and blocks (a CPU-bound render, in effect)
// until the test opens a gate.
import { workerData } from 'node:worker_threads';
import { attachRegion, type RegionHandle } from '../../../../src/index.js';

interface PoolData {
  cache: RegionHandle;
  /** [0] creator calls, [1] gate: the creator returns once it is 1. */
  control: Int32Array;
}

const { cache, control } = workerData as PoolData;
const region = attachRegion(cache);

export default function task({ key, label }: { key: string; label: string }): string {
  return region.getOrCreateSync(key, () => {
    Atomics.add(control, 0, 1);
    while (Atomics.load(control, 1) === 0) Atomics.wait(control, 1, 0, 20);
    return `created in ${label}`;
  });
}
