// A Piscina task module: memoizes a CPU-bound render in the cache shared by every thread of the pool.
import { workerData } from 'node:worker_threads';
import { attachRegion, type RegionHandle } from '../../src/index.js';

const { cache, creatorCalls } = workerData as { cache: RegionHandle; creatorCalls: Int32Array };

// The same table, locks, invalidation and stats as the main thread's region.
const region = attachRegion(cache);

function heavyRender(id: number): string {
  Atomics.add(creatorCalls, 0, 1);
  // Stand-in for real CPU work (templating, image resizing, ...).
  let checksum = 0;
  for (let i = 0; i < 2_000_000; i++) checksum = (checksum * 31 + i + id) % 1_000_003;
  return `<article id="${id}" data-checksum="${checksum}"></article>`;
}

// A plain (not async) function on a sync-capable backend: calls take the getOrCreateSync path,
// so a thread that must wait for another thread's render blocks with Atomics.wait instead of spinning.
const render = region.cacheOnArguments()((id: number) => heavyRender(id));

export default function task({ id }: { id: number }): string {
  return render(id);
}
