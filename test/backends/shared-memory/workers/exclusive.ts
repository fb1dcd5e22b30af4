// Enters a critical section guarded by one key's shared lock, many times, and counts overlaps.
import { parentPort, workerData } from 'node:worker_threads';
import { SharedMemoryBackend, type SharedMemoryHandle } from '../../../../src/backends/shared-memory/index.js';

interface ExclusiveData {
  handle: SharedMemoryHandle;
  rounds: number;
  mode: 'sync' | 'async';
  /** [0]: threads inside the section, [1]: a counter updated without atomics inside it. */
  shared: Int32Array;
  start: Int32Array;
}

const { handle, rounds, mode, shared, start } = workerData as ExclusiveData;
const backend = SharedMemoryBackend.attach(handle);
Atomics.wait(start, 0, 0);

let overlaps = 0;
let timeouts = 0;
for (let round = 0; round < rounds; round++) {
  const mutex = backend.getMutex('the-critical-key');
  const acquired = mode === 'sync' ? mutex.acquireSync(true, 10_000) : await mutex.acquire(true, 10_000);
  if (!acquired) {
    timeouts++;
    continue;
  }
  if (Atomics.add(shared, 0, 1) !== 0) overlaps++;
  // A non-atomic read-modify-write with a pause in the middle: lost updates show any overlap.
  const before = shared[1]!;
  if (mode === 'async') await new Promise((resolve) => setImmediate(resolve));
  else for (let spin = 0; spin < 200; spin++) Atomics.load(shared, 0);
  shared[1] = before + 1;
  Atomics.sub(shared, 0, 1);
  mutex.release();
}
parentPort!.postMessage({ overlaps, timeouts });
