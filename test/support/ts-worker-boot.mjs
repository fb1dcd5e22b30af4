// Worker entry for TypeScript worker scripts. On Node 20, `execArgv: ['--import', 'tsx']` does not
// make a worker load `.ts` files, so this plain module registers tsx's loader in the worker and
// then imports the script named in `workerData.script`.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.script);
