// Worker threads of this example run TypeScript straight from the source tree: Node 20 does not
// apply `--import tsx` to worker threads, so tsx is registered here first.
import { register } from 'tsx/esm/api';

register();
await import('./thread.ts');
