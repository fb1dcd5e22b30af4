// memcached backend vs raw memjs on the same server, in the same run: `get` through the backend
// and through a region, against memjs's own promise `get`, one at a time and 100 in flight; and the
// round trips one regeneration costs, read from the server's own counters.
// Writes bench/results/memcached.md. Needs the memcached binary (see test/support/servers.ts).
import { availableParallelism, loadavg } from 'node:os';
import memjs from 'memjs';
import { unpack } from 'msgpackr';
import { makeRegion } from '../src/index.js';
import { MemcachedBackend } from '../src/backends/memcached/index.js';
import { startMemcached } from '../test/support/servers.js';
import { runCases, writeResults, type BenchCase, type BenchRow, type BenchTable } from './support/suite.js';

const IN_FLIGHT = 100;
const KEY = 'user:42';
const VALUE = { id: 42, name: 'Ada Lovelace', roles: ['admin', 'dev'], address: { city: 'London', zip: 'W1' }, tags: Array.from({ length: 10 }, (_, i) => `tag-${i}`) };

const loadAtStart = loadavg()[0]!;
const server = await startMemcached();
const silent = { log() {} };
const raw = memjs.Client.create(server.url, { logger: silent });
const backend = new MemcachedBackend({ servers: server.url, prefix: 'bench:' });
const unbatched = new MemcachedBackend({ servers: server.url, prefix: 'bench:', batchWrites: false });
const region = makeRegion({ name: 'bench' }).configure('memcached', { expirationTime: '1h', arguments: { servers: server.url, prefix: 'bench:' } });
await region.set(KEY, VALUE);
const storedKey = backend.memcachedKey(KEY);
const valueBytes = (await raw.get(storedKey)).value!.length;
const creator = () => VALUE;

/**
 * The machine is shared and noisy: every case runs ROUNDS times, interleaved with the others, and
 * the table keeps each case's median. "±" is half the min–max spread over the rounds, in %.
 */
const ROUNDS = 5;
async function medianOfRounds(title: string, cases: BenchCase[], scale = 1): Promise<BenchTable> {
  const samples = new Map<string, number[]>(cases.map((benchCase) => [benchCase.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const table = await runCases(`${title}, round ${round + 1}`, cases, { maxTime: 1 });
    for (const row of table.rows) samples.get(row.name)!.push(row.hz * scale);
  }
  const rows: BenchRow[] = cases.map(({ name }) => {
    const sorted = samples.get(name)!.sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return { name, hz: median, rme: ((sorted.at(-1)! - sorted[0]!) / 2 / median) * 100, samples: sorted.length };
  });
  return { title, rows };
}

// Each case has its own closure, so no loop is shared between them.
const rawBatch = () => Promise.all(Array.from({ length: IN_FLIGHT }, () => raw.get(storedKey)));
// What decoding by hand costs on top: memjs get, then msgpack-decode the payload after the 12-byte header.
const rawDecoded = () => raw.get(storedKey).then(({ value }) => (value === null ? undefined : unpack(value.subarray(12))));
const rawDecodedBatch = () => Promise.all(Array.from({ length: IN_FLIGHT }, rawDecoded));
const backendBatch = () => Promise.all(Array.from({ length: IN_FLIGHT }, () => backend.get(KEY)));
const unbatchedBatch = () => Promise.all(Array.from({ length: IN_FLIGHT }, () => unbatched.get(KEY)));
const regionBatch = () => Promise.all(Array.from({ length: IN_FLIGHT }, () => region.get(KEY)));
const getOrCreateBatch = () => Promise.all(Array.from({ length: IN_FLIGHT }, () => region.getOrCreate(KEY, creator)));

const sequential = await medianOfRounds('get, one at a time (ops/s, median of rounds)', [
  { name: 'raw memjs get', async: true, fn: () => raw.get(storedKey) },
  { name: 'raw memjs get + msgpack decode', async: true, fn: rawDecoded },
  { name: 'backend get', async: true, fn: () => backend.get(KEY) },
  { name: 'region get', async: true, fn: () => region.get(KEY) },
  { name: 'region getOrCreate (hit)', async: true, fn: () => region.getOrCreate(KEY, creator) },
]);

// Rows count batches of IN_FLIGHT operations; scaled to operations/s.
const concurrent = await medianOfRounds(
  `get, ${IN_FLIGHT} in flight (ops/s, median of rounds)`,
  [
    { name: 'raw memjs get', async: true, fn: rawBatch },
    { name: 'raw memjs get + msgpack decode', async: true, fn: rawDecodedBatch },
    { name: 'backend get', async: true, fn: backendBatch },
    { name: 'backend get (batchWrites: false)', async: true, fn: unbatchedBatch },
    { name: 'region get', async: true, fn: regionBatch },
    { name: 'region getOrCreate (hit)', async: true, fn: getOrCreateBatch },
  ],
  IN_FLIGHT,
);

// ---- client CPU per operation: steadier than ops/s on a loaded machine, because it does not
// count time spent waiting for the server or for other processes. (These are network operations
// of several µs each; the shared measuring loop costs nanoseconds.)
async function cpuMicrosPerOperation(run: () => Promise<unknown>, operationsPerRun: number, runs: number): Promise<number> {
  const started = process.cpuUsage();
  for (let index = 0; index < runs; index++) await run();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / (runs * operationsPerRun);
}
async function cpuTable(inFlight: number, cases: Array<[string, () => Promise<unknown>]>): Promise<Map<string, number>> {
  const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  const runs = inFlight === 1 ? 3000 : 200;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of cases) samples.get(name)!.push(await cpuMicrosPerOperation(run, inFlight, runs));
  }
  return new Map([...samples].map(([name, values]) => [name, values.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!]));
}
function cpuNote(inFlight: number, medians: Map<string, number>): string {
  const raw = medians.get('raw memjs get')!;
  const listed = [...medians].map(([name, micros]) => `${name} ${micros.toFixed(1)}`).join(', ');
  const ratios = [...medians]
    .filter(([name]) => name !== 'raw memjs get')
    .map(([name, micros]) => `${name} ${(raw / micros).toFixed(2)}×`)
    .join(', ');
  return `Client CPU per get, ${inFlight} in flight (median of ${ROUNDS} rounds; µs, lower is better): ${listed}. As throughput ratios against raw memjs get (its CPU / ours): ${ratios}.`;
}
const cpuSequential = cpuNote(
  1,
  await cpuTable(1, [
    ['raw memjs get', () => raw.get(storedKey)],
    ['backend get', () => backend.get(KEY)],
    ['region get', () => region.get(KEY)],
    ['region getOrCreate (hit)', () => region.getOrCreate(KEY, creator)],
  ]),
);
const cpuConcurrent = cpuNote(
  IN_FLIGHT,
  await cpuTable(IN_FLIGHT, [
    ['raw memjs get', rawBatch],
    ['raw memjs get + msgpack decode', rawDecodedBatch],
    ['backend get', backendBatch],
    ['backend get (batchWrites: false)', unbatchedBatch],
    ['region get', regionBatch],
    ['region getOrCreate (hit)', getOrCreateBatch],
  ]),
);

// ---- round trips per regeneration, from memcached's counters
type Counters = Record<'cmd_get' | 'cmd_set' | 'cmd_touch' | 'delete_hits' | 'delete_misses', number>;
function counters(): Promise<Counters> {
  return new Promise((resolve, reject) => {
    raw.stats((error, _server, stats) => {
      if (error || !stats) return reject(error ?? new Error('no stats'));
      resolve({
        cmd_get: Number(stats.cmd_get),
        cmd_set: Number(stats.cmd_set),
        cmd_touch: Number(stats.cmd_touch),
        delete_hits: Number(stats.delete_hits),
        delete_misses: Number(stats.delete_misses),
      });
    });
  });
}
async function roundTrips(label: string, run: (index: number) => Promise<unknown>, count = 200): Promise<string> {
  const before = await counters();
  for (let index = 0; index < count; index++) await run(index);
  const after = await counters();
  const per = (name: keyof Counters) => (after[name] - before[name]) / count;
  const deletes = per('delete_hits') + per('delete_misses');
  const total = per('cmd_get') + per('cmd_set') + per('cmd_touch') + deletes;
  return `${label}: ${total.toFixed(1)} round trips (${per('cmd_get').toFixed(1)} get, ${per('cmd_set').toFixed(1)} set/add, ${deletes.toFixed(1)} delete)`;
}
const cold = await roundTrips('getOrCreate on a cold key', (index) => region.getOrCreate(`cold:${index}`, creator));
for (let index = 0; index < 200; index++) await region.set(`stale:${index}`, VALUE);
await new Promise((resolve) => setTimeout(resolve, 20));
const stale = await roundTrips('getOrCreate on an expired key', (index) => region.getOrCreate(`stale:${index}`, creator, { expirationTime: 10 }));
const hit = await roundTrips('getOrCreate hit', () => region.getOrCreate(KEY, creator));

writeResults(
  'memcached.md',
  'memcached backend vs raw memjs',
  [sequential, concurrent],
  [
    { table: sequential, name: 'backend get / memjs get, 1 in flight', ours: 'backend get', baseline: 'raw memjs get', target: 0.8 },
    { table: sequential, name: 'region get / memjs get, 1 in flight', ours: 'region get', baseline: 'raw memjs get', target: 0.8 },
    { table: sequential, name: 'region getOrCreate hit / memjs get, 1 in flight', ours: 'region getOrCreate (hit)', baseline: 'raw memjs get', target: 0.8 },
    { table: sequential, name: 'region get / memjs get + decode, 1 in flight', ours: 'region get', baseline: 'raw memjs get + msgpack decode' },
    { table: concurrent, name: `backend get / memjs get, ${IN_FLIGHT} in flight`, ours: 'backend get', baseline: 'raw memjs get', target: 0.8 },
    { table: concurrent, name: `backend get without batchWrites / memjs get, ${IN_FLIGHT} in flight`, ours: 'backend get (batchWrites: false)', baseline: 'raw memjs get' },
    { table: concurrent, name: `region get / memjs get, ${IN_FLIGHT} in flight`, ours: 'region get', baseline: 'raw memjs get', target: 0.8 },
    { table: concurrent, name: `region getOrCreate hit / memjs get, ${IN_FLIGHT} in flight`, ours: 'region getOrCreate (hit)', baseline: 'raw memjs get', target: 0.8 },
    { table: concurrent, name: `region get / memjs get + decode, ${IN_FLIGHT} in flight`, ours: 'region get', baseline: 'raw memjs get + msgpack decode' },
  ],
  [
    `One memcached ${server.url.split(':')[0]} on loopback started for the run; value: a ${valueBytes}-byte entry (12-byte envelope header + msgpack).`,
    `1-minute load average ${loadAtStart.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end on ${availableParallelism()} cores: one-at-a-time ops/s are dominated by scheduling noise (the memcached server shares the cores); the client CPU lines below are the steadier measure.`,
    `Each case ran ${ROUNDS} rounds of 1 s, interleaved with the others, on a shared 2-core machine; the table shows medians and ± is half the min–max spread.`,
    `"${IN_FLIGHT} in flight": each sample issues ${IN_FLIGHT} gets and awaits them all; ops/s = batches/s × ${IN_FLIGHT}.`,
    'raw memjs get: memjs promise API on the stored (prefixed) key; the backend adds key safety, the operation deadline and NO_VALUE; the region adds msgpack decoding and the freshness check.',
    'batchWrites (on by default) corks the sockets for one event-loop turn when requests are already in flight, so the requests of a burst go out in one write; memjs alone writes each request with its own system call. A lone request is not delayed.',
    cpuSequential,
    cpuConcurrent,
    `Round trips per call, from the server's stats counters (mean of 200 calls): ${cold}; ${stale}; ${hit}.`,
    'Of a regeneration, the lock costs 1 round trip to acquire (add) and 2 to release (get, then delete only if the token is still ours: memcached has no compare-and-delete).',
  ],
);

raw.close();
await backend.close();
await unbatched.close();
await region.close();
await server.dispose();
