// Opens a shared table from its handle, reads what the main thread wrote and writes back.
import { parentPort, workerData } from 'node:worker_threads';
import { SharedMemoryBackend, type SharedMemoryHandle } from '../../../../src/backends/shared-memory/index.js';
import type { CachedValue } from '../../../../src/values.js';
import { cached } from '../support.js';

const backend = SharedMemoryBackend.attach((workerData as { handle: SharedMemoryHandle }).handle);
const read = (backend.getSync('from-main') as CachedValue).payload;
backend.setSync('from-worker', cached({ answer: 42 }));
backend.statsStore.increment('hits', 7);
backend.invalidationStore.write({ at: 1234, hard: false });
parentPort!.postMessage({ read });
