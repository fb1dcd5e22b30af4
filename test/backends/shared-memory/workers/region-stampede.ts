// Fires many concurrent getOrCreate calls for one key through a region attached to the shared
// table, and reports what every caller got. The creator counts its calls in shared memory and
// waits for the test to open a gate, so the test can see who did (not) wait for it.
import { parentPort, workerData } from 'node:worker_threads';
import { attachRegion, type RegionHandle } from '../../../../src/index.js';

interface StampedeData {
  cache: RegionHandle;
  key: string;
  callers: number;
  /** [0] start signal, [1] creator calls, [2] gate: creators finish once it is 1. */
  control: Int32Array;
  label: string;
}

const { cache, key, callers, control, label } = workerData as StampedeData;
const region = attachRegion(cache);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function creator(): Promise<string> {
  Atomics.add(control, 1, 1);
  creatorHere = true;
  while (Atomics.load(control, 2) === 0) await pause(5);
  return `created by ${label}`;
}

let creatorHere = false;
Atomics.wait(control, 0, 0);
const values: unknown[] = [];
const errors: string[] = [];
const calls = Array.from({ length: callers }, () =>
  region.getOrCreate(key, creator).then(
    (value) => void values.push(value),
    (error: unknown) => void errors.push(String(error)),
  ),
);
// Report once every caller that does not depend on this thread's own creation has its answer.
for (;;) {
  const settled = values.length + errors.length;
  if (settled === callers || (creatorHere && settled === callers - 1)) break;
  await pause(5);
}
parentPort!.postMessage({ phase: 'before-gate', values: [...values], errors: [...errors], creatorHere });
await Promise.all(calls);
parentPort!.postMessage({ phase: 'done', values, errors, creatorHere, stats: region.stats() });
