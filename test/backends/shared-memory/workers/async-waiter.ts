// Waits, asynchronously and with nothing else to keep its thread alive, for a lock that another
// thread holds; reports how its waits ended. A thread that ends without reporting lost a wait.
import { parentPort, workerData } from 'node:worker_threads';
import { SharedMemoryBackend, type SharedMemoryHandle } from '../../../../src/backends/shared-memory/index.js';

const { handle, key, rounds, waitMs } = workerData as { handle: SharedMemoryHandle; key: string; rounds: number; waitMs: number };
const backend = SharedMemoryBackend.attach(handle);
const outcomes = { timedOut: 0, acquired: 0 };
for (let round = 0; round < rounds; round++) {
  const mutex = backend.getMutex(key);
  if (await mutex.acquire(true, waitMs)) {
    outcomes.acquired++;
    mutex.release();
  } else outcomes.timedOut++;
}
backend.close();
parentPort!.postMessage(outcomes);
