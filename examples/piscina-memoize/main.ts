// Memoization shared by every thread of a Piscina pool: one SharedArrayBuffer cache, one dogpile
// lock per key. However many threads ask for the same id at once, it is rendered once.
// Run with `npx tsx examples/piscina-memoize/main.ts`.
import { Piscina } from 'piscina';
import { makeRegion } from '../../src/index.js';

const THREADS = 4;
const IDS = 10;
const TASKS = 400;

const region = makeRegion({ name: 'render' }).configure('shared-memory', {
  expirationTime: '1m',
  arguments: { maxEntries: 10_000, maxBytes: 16 * 2 ** 20 },
});

// Counts heavyRender calls in every thread (the region's stats count creations too).
const creatorCalls = new Int32Array(new SharedArrayBuffer(4));
const pool = new Piscina({
  filename: new URL('./boot.mjs', import.meta.url).href,
  minThreads: THREADS,
  maxThreads: THREADS,
  // region.share() is a structured-cloneable handle: the SharedArrayBuffer travels by reference.
  workerData: { cache: region.share(), creatorCalls },
});

async function round(label: string): Promise<void> {
  const before = Atomics.load(creatorCalls, 0);
  const pages = await Promise.all(Array.from({ length: TASKS }, (_, i) => pool.run({ id: i % IDS }) as Promise<string>));
  const calls = Atomics.load(creatorCalls, 0) - before;
  console.log(`${label.padEnd(18)} ${TASKS} tasks for ${IDS} ids on ${THREADS} threads → creator calls: ${calls} (distinct pages: ${new Set(pages).size})`);
}

console.log('piscina-memoize: a shared-memory region used from every thread of a Piscina pool\n');
await round('cold cache');
await round('warm cache');
// The main thread never touched the cache, yet its invalidate() reaches every thread at once.
region.invalidate();
await round('after invalidate()');
const stats = region.stats();
console.log(`\nstats summed over all threads: hits ${stats.hits}, misses ${stats.misses}, creations ${stats.creations}, lock waits ${stats.lockWaits}`);

await pool.close();
await region.close();
