// Runs region operations the test asks for, in a worker thread attached to the shared table.
import { parentPort, workerData } from 'node:worker_threads';
import { attachRegion, NO_VALUE, type RegionHandle } from '../../../../src/index.js';

const region = attachRegion((workerData as { cache: RegionHandle }).cache);

parentPort!.on('message', (request: { op: 'get' | 'set' | 'invalidate' | 'stats'; key?: string; value?: unknown; hard?: boolean }) => {
  let answer: unknown;
  try {
    if (request.op === 'get') {
      const value = region.getSync(request.key!);
      answer = value === NO_VALUE ? 'NO_VALUE' : value;
    } else if (request.op === 'set') {
      region.setSync(request.key!, request.value);
    } else if (request.op === 'invalidate') {
      region.invalidate({ hard: request.hard ?? true });
    } else {
      answer = region.stats();
    }
    parentPort!.postMessage({ ok: true, answer });
  } catch (error) {
    parentPort!.postMessage({ ok: false, error: String(error) });
  }
});
parentPort!.postMessage({ ready: true });
