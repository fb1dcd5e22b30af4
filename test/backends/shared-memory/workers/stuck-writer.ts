// Takes the table's write lock and never lets go, like a thread terminated mid-write.
import { parentPort, workerData } from 'node:worker_threads';
import { readLayout, viewsOf } from '../../../../src/backends/shared-memory/layout.js';
import type { SharedMemoryHandle } from '../../../../src/backends/shared-memory/index.js';
import { WriteLock } from '../../../../src/backends/shared-memory/write-lock.js';

const { handle } = workerData as { handle: SharedMemoryHandle };
const params = readLayout(handle.buffer);
if (typeof params === 'string') throw new Error(params);
const views = viewsOf(handle.buffer, params);
new WriteLock(views.header).acquire();
parentPort!.postMessage({ locked: true });
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
