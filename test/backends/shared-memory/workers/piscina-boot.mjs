// Piscina worker entry for a TypeScript task module: registers tsx in the worker (Node 20 does
// not apply `--import tsx` to worker threads) and forwards each task to the module named in
// `workerData.taskModule`.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const loaded = import(workerData.taskModule);

export default async function run(task) {
  const { default: handler } = await loaded;
  return handler(task);
}
