// A worker thread of a host process: the same tiered region, attached from the handle.
import { parentPort, workerData } from 'node:worker_threads';
import { attachRegion, type RegionHandle } from '../../src/index.js';
import { stampede, type Stampede } from './stampede.js';

const { handle, task } = workerData as { handle: RegionHandle; task: Stampede };
const region = attachRegion(handle);
const values = await stampede(region, task);
await region.close();
parentPort!.postMessage(values);
