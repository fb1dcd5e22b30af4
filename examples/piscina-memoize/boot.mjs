// Worker entry used when running this example straight from TypeScript: Node 20 does not apply
// `--import tsx` to worker threads, so tsx is registered here before loading worker.ts. A compiled
// project points Piscina at its worker.js directly and needs no such file.
import { register } from 'tsx/esm/api';

register();
const loaded = import('./worker.ts');

export default async function run(task) {
  const { default: handler } = await loaded;
  return handler(task);
}
