// tiered backend, one run: hits answered by the nearest tier (shared memory) through a region over
// shared memory → lmdb (sync) and shared memory → lmdb → Redis (async), against the same region
// over shared memory alone, Map.get, and a raw ioredis GET (what a Redis-only cache pays per hit).
// Run with `npx tsx bench/tiered.bench.ts`; writes bench/results/tiered.md. Needs redis-server.
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { makeRegion } from '../src/index.js';
import { startRedis } from '../test/support/servers.js';
import { runCases, writeResults, type BenchTable } from './support/suite.js';

const KEYS = 1024;
const MASK = KEYS - 1;
const keys = Array.from({ length: KEYS }, (_, i) => `user:profile:${i}`);
const payloadFor = (i: number) => ({ id: i, name: `User ${i}`, email: `user${i}@example.com`, roles: ['reader', 'writer'], score: i * 1.5, bio: 'x'.repeat(60) });
const SHM = { maxEntries: 10_000, maxBytes: 16 * 2 ** 20 };

const loadBefore = os.loadavg().map((load) => load.toFixed(1)).join(' / ');
const server = await startRedis();
const dir = mkdtempSync(join(os.tmpdir(), 'dogpile-bench-tiered-'));
const raw = new Redis(server.url, { enableAutoPipelining: true });

const sharedMemory = makeRegion({ name: 'bench' }).configure('shared-memory', { expirationTime: '1h', arguments: SHM });
const onHost = makeRegion({ name: 'bench' }).configure('tiered', {
  expirationTime: '1h',
  arguments: { tiers: [{ backend: 'shared-memory', arguments: SHM }, { backend: 'lmdb', arguments: { path: join(dir, 'host') } }] },
});
const everyTier = makeRegion({ name: 'bench' }).configure('tiered', {
  expirationTime: '1h',
  arguments: {
    tiers: [
      { backend: 'shared-memory', arguments: SHM },
      { backend: 'lmdb', arguments: { path: join(dir, 'all') } },
      { backend: 'redis', arguments: { url: server.url, prefix: 'bench-tiered:' } },
    ],
  },
});
const map = new Map<string, unknown>();
for (const [i, key] of keys.entries()) {
  map.set(key, payloadFor(i));
  sharedMemory.setSync(key, payloadFor(i));
  onHost.setSync(key, payloadFor(i));
  await everyTier.set(key, payloadFor(i));
  await raw.set(`raw:${key}`, JSON.stringify(payloadFor(i)));
}
const creator = () => 'never called';

// Each case has its own closure and counter, so no loop is shared between them.
let a = 0;
let b = 0;
let c = 0;
let d = 0;
let e = 0;
let f = 0;
const sync = await runCases(
  'hits in one thread, synchronous (ops/s)',
  [
    { name: 'Map.get', fn: () => map.get(keys[a++ & MASK]!) },
    { name: 'shared-memory region getSync', fn: () => sharedMemory.getSync(keys[b++ & MASK]!) },
    { name: 'tiered (shared-memory → lmdb) region getSync', fn: () => onHost.getSync(keys[c++ & MASK]!) },
  ],
  { rounds: 5, maxTime: 0.5 },
);
const asynchronous = await runCases(
  'hits in one thread, getOrCreate awaited one at a time (ops/s)',
  [
    { name: 'shared-memory region getOrCreate', async: true, fn: () => sharedMemory.getOrCreate(keys[d++ & MASK]!, creator) },
    { name: 'tiered (shared-memory → lmdb → redis) region getOrCreate', async: true, fn: () => everyTier.getOrCreate(keys[e++ & MASK]!, creator) },
    { name: 'raw ioredis GET', async: true, fn: () => raw.get(`raw:${keys[f++ & MASK]!}`) },
  ],
  { rounds: 5, maxTime: 0.5 },
);
const loadAfter = os.loadavg().map((load) => load.toFixed(1)).join(' / ');

const tables: BenchTable[] = [sync, asynchronous];
writeResults(
  'tiered.md',
  'tiered backend: hits from the nearest tier',
  tables,
  [
    { name: 'tiered (shm → lmdb) getSync / shared-memory getSync', table: sync, ours: 'tiered (shared-memory → lmdb) region getSync', baseline: 'shared-memory region getSync', target: 0.8 },
    { name: 'tiered (shm → lmdb) getSync / Map.get', table: sync, ours: 'tiered (shared-memory → lmdb) region getSync', baseline: 'Map.get' },
    {
      name: 'tiered (shm → lmdb → redis) getOrCreate / shared-memory getOrCreate',
      table: asynchronous,
      ours: 'tiered (shared-memory → lmdb → redis) region getOrCreate',
      baseline: 'shared-memory region getOrCreate',
      target: 0.8,
    },
    { name: 'tiered (shm → lmdb → redis) getOrCreate / raw ioredis GET', table: asynchronous, ours: 'tiered (shared-memory → lmdb → redis) region getOrCreate', baseline: 'raw ioredis GET', target: 10 },
  ],
  [
    `${KEYS} keys read round-robin, values of about 150 bytes of msgpack; every value in every tier, so the nearest tier answers each hit.`,
    'Median of 5 interleaved rounds per case (benchmark.js, 0.5 s each); "±" is the relative margin of error of the median round.',
    `Load average (1/5/15 min) before: ${loadBefore}; after: ${loadAfter}. Redis is a local redis-server on loopback.`,
  ],
);

raw.disconnect();
await Promise.all([sharedMemory.close(), onHost.close(), everyTier.close()]);
await server.dispose();
rmSync(dir, { recursive: true, force: true });
