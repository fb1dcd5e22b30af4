// Region hit paths against peers, all in this process and this run: lru-cache get/fetch,
// bentocache getOrSet (memory driver), cache-manager wrap. Writes bench/results/region.md.
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { createCache } from 'cache-manager';
import { LRUCache } from 'lru-cache';
import { makeRegion } from '../src/index.js';
import { runCases, writeResults } from './support/suite.js';

const KEY = 'user:42';
const VALUE = { id: 42, name: 'Ada', roles: ['admin', 'dev'] };

const lru = new LRUCache<string, typeof VALUE>({ max: 10_000, ttl: 60_000, fetchMethod: async () => VALUE });
lru.set(KEY, VALUE);

const bento = new BentoCache({ default: 'memory', stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 10_000 })) } });
await bento.getOrSet({ key: KEY, factory: () => VALUE, ttl: '1m' });

const manager = createCache({ ttl: 60_000 });
await manager.wrap(KEY, async () => VALUE);

const region = makeRegion({ name: 'bench' }).configure('memory', { expirationTime: '1m' });
await region.getOrCreate(KEY, () => VALUE);
const creator = () => VALUE;

const table = await runCases('Hit on one hot key (memory)', [
  { name: 'lru-cache get', fn: () => lru.get(KEY) },
  { name: 'lru-cache fetch', async: true, fn: () => lru.fetch(KEY) },
  { name: 'bentocache getOrSet', async: true, fn: () => bento.getOrSet({ key: KEY, factory: creator, ttl: '1m' }) },
  { name: 'cache-manager wrap', async: true, fn: () => manager.wrap(KEY, async () => VALUE) },
  { name: 'dogpile getOrCreate', async: true, fn: () => region.getOrCreate(KEY, creator) },
  { name: 'dogpile getOrCreateSync', fn: () => region.getOrCreateSync(KEY, creator) },
  { name: 'dogpile getSync', fn: () => region.getSync(KEY) },
], { rounds: 5, maxTime: 1 });

writeResults('region.md', 'Region hit path vs peers', [table], [
  { table, name: 'getOrCreate / lru-cache fetch', ours: 'dogpile getOrCreate', baseline: 'lru-cache fetch', target: 1.0 },
  { table, name: 'getOrCreate / bentocache getOrSet', ours: 'dogpile getOrCreate', baseline: 'bentocache getOrSet', target: 2.0 },
  { table, name: 'getOrCreate / cache-manager wrap', ours: 'dogpile getOrCreate', baseline: 'cache-manager wrap' },
  { table, name: 'getOrCreateSync / lru-cache get', ours: 'dogpile getOrCreateSync', baseline: 'lru-cache get', target: 0.5 },
]);
await bento.disconnect();
await region.close();
