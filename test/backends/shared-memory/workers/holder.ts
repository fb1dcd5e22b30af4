// Takes one key's creation lock and keeps it (renewing the lease) until terminated.
import { parentPort, workerData } from 'node:worker_threads';
import { SharedMemoryBackend, type SharedMemoryHandle } from '../../../../src/backends/shared-memory/index.js';

const { handle, key } = workerData as { handle: SharedMemoryHandle; key: string };
const backend = SharedMemoryBackend.attach(handle);
const mutex = backend.getMutex(key);
const acquired = mutex.acquireSync(false);
parentPort!.postMessage({ acquired });
// Keep the event loop running so the lease renewal timer fires; the test terminates this worker.
setInterval(() => {}, 1_000);
