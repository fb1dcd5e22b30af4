// Redis backend vs raw ioredis on the same server, in the same run: `get` through the backend and
// `getOrCreate` (a hit) through a region, against ioredis' own auto-pipelined GET, one at a time
// and 100 in flight; the distributed lock pair; and the commands one regeneration sends, recorded
// with MONITOR. Writes bench/results/redis.md. Needs redis-server (see test/support/servers.ts).
import { Redis } from 'ioredis';
import { unpack } from 'msgpackr';
import { makeRegion } from '../src/index.js';
import { RedisBackend } from '../src/backends/redis/index.js';
import { startRedis } from '../test/support/servers.js';
import { runCases, writeResults, type BenchCase, type BenchRow, type BenchTable } from './support/suite.js';

const IN_FLIGHT = 100;
const KEY = 'user:42';
const PREFIX = 'bench:';
const VALUE = { id: 42, name: 'Ada Lovelace', roles: ['admin', 'dev'], address: { city: 'London', zip: 'W1' }, tags: Array.from({ length: 10 }, (_, i) => `tag-${i}`) };

const server = await startRedis();
// The baseline: what an application would write by hand, with the same auto-pipelining.
const raw = new Redis(server.url, { enableAutoPipelining: true });
const backend = new RedisBackend({ url: server.url, prefix: PREFIX });
const region = makeRegion({ name: 'bench' }).configure('redis', { expirationTime: '1h', arguments: { url: server.url, prefix: PREFIX } });
await region.ready;
await region.set(KEY, VALUE);
const storedKey = `${PREFIX}${KEY}`;
const valueBytes = (await raw.getBuffer(storedKey))!.length;
const creator = () => VALUE;

/**
 * The machine is shared and noisy: each case runs in several rounds, interleaved with the other
 * cases, and the table keeps the median per case; "±" is half the spread over the rounds, in %.
 */
const ROUNDS = 3;
async function interleavedMedians(title: string, cases: BenchCase[], scale = 1): Promise<BenchTable> {
  const byCase = new Map<string, number[]>(cases.map(({ name }) => [name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    const table = await runCases(`${title} (round ${round})`, cases, { maxTime: 0.5 });
    for (const row of table.rows) byCase.get(row.name)!.push(row.hz * scale);
  }
  const rows: BenchRow[] = cases.map(({ name }) => {
    const sorted = byCase.get(name)!.sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return { name, hz: median, rme: ((sorted[sorted.length - 1]! - sorted[0]!) / 2 / median) * 100, samples: sorted.length };
  });
  return { title, rows };
}

// Each measured function is its own closure with its own loop.
const rawBatch = () => Promise.all(Array.from({ length: IN_FLIGHT }, () => raw.get(storedKey)));
const rawBufferBatch = () => Promise.all(Array.from({ length: IN_FLIGHT }, () => raw.getBuffer(storedKey)));
const backendBatch = () => Promise.all(Array.from({ length: IN_FLIGHT }, () => backend.get(KEY)));
const regionBatch = () => Promise.all(Array.from({ length: IN_FLIGHT }, () => region.getOrCreate(KEY, creator)));

const oneAtATime = await interleavedMedians('benchmark.js, one at a time (ops/s)', [
  { name: 'raw ioredis GET', async: true, fn: () => raw.get(storedKey) },
  { name: 'raw ioredis getBuffer', async: true, fn: () => raw.getBuffer(storedKey) },
  { name: 'backend get', async: true, fn: () => backend.get(KEY) },
  { name: 'region getOrCreate (hit)', async: true, fn: () => region.getOrCreate(KEY, creator) },
]);
const concurrent = await interleavedMedians(
  `benchmark.js, ${IN_FLIGHT} in flight (reads/s)`,
  [
    { name: 'raw ioredis GET', async: true, fn: rawBatch },
    { name: 'raw ioredis getBuffer', async: true, fn: rawBufferBatch },
    { name: 'backend get', async: true, fn: backendBatch },
    { name: 'region getOrCreate (hit)', async: true, fn: regionBatch },
  ],
  IN_FLIGHT,
);

/**
 * Paired measurement for the ratios: short timed blocks of each case, taken in rotating order one
 * after the other, many times over. Noise from other processes on the machine then falls on every
 * case alike, which a sequence of separate benchmark.js runs cannot promise. Each block function
 * has its own loop.
 */
interface BlockCase {
  name: string;
  /** Runs the case `count` times; returns how many reads that was. */
  block: (count: number) => Promise<number>;
  count: number;
}
/** This process's CPU time per read in each paired case: steadier than wall time on a busy machine. */
const cpuPerRead: string[] = [];
async function pairedBlocks(title: string, cases: BlockCase[], blocks = 150): Promise<BenchTable> {
  const spent = cases.map(() => 0);
  const cpu = cases.map(() => 0);
  const reads = cases.map(() => 0);
  const rates: number[][] = cases.map(() => []);
  for (const benchCase of cases) await benchCase.block(benchCase.count); // warm-up
  for (let round = 0; round < blocks; round++) {
    for (let offset = 0; offset < cases.length; offset++) {
      const index = (round + offset) % cases.length;
      const started = process.hrtime.bigint();
      const cpuBefore = process.cpuUsage();
      const done = await cases[index]!.block(cases[index]!.count);
      const cpuUsed = process.cpuUsage(cpuBefore);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      spent[index]! += seconds;
      cpu[index]! += (cpuUsed.user + cpuUsed.system) / 1e6;
      reads[index]! += done;
      rates[index]!.push(done / seconds);
    }
  }
  const rows: BenchRow[] = cases.map(({ name }, index) => {
    const sorted = rates[index]!.sort((a, b) => a - b);
    const quartile = (q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;
    const hz = reads[index]! / spent[index]!;
    return { name, hz, rme: ((quartile(0.75) - quartile(0.25)) / 2 / hz) * 100, samples: sorted.length };
  });
  const table = { title, rows };
  for (const row of rows) console.log(`  ${title}: ${row.name} ${Math.round(row.hz)}/s`);
  cpuPerRead.push(`${title}: ${cases.map(({ name }, index) => `${name} ${((cpu[index]! / reads[index]!) * 1e6).toFixed(1)} µs`).join(', ')}`);
  return table;
}

async function rawGetBlock(count: number): Promise<number> {
  for (let i = 0; i < count; i++) await raw.get(storedKey);
  return count;
}
/** What an application decoding the value itself would do: GET the bytes, msgpack-decode them. */
async function rawGetDecodeBlock(count: number): Promise<number> {
  for (let i = 0; i < count; i++) unpack((await raw.getBuffer(storedKey))!.subarray(12));
  return count;
}
const decode = (bytes: Buffer | null) => unpack(bytes!.subarray(12));
const rawDecodeBatch = () => Promise.all(Array.from({ length: IN_FLIGHT }, () => raw.getBuffer(storedKey).then(decode)));
async function rawGetDecodeConcurrentBlock(count: number): Promise<number> {
  for (let i = 0; i < count; i++) await rawDecodeBatch();
  return count * IN_FLIGHT;
}
async function backendGetBlock(count: number): Promise<number> {
  for (let i = 0; i < count; i++) await backend.get(KEY);
  return count;
}
async function regionHitBlock(count: number): Promise<number> {
  for (let i = 0; i < count; i++) await region.getOrCreate(KEY, creator);
  return count;
}
async function rawGetConcurrentBlock(count: number): Promise<number> {
  for (let i = 0; i < count; i++) await rawBatch();
  return count * IN_FLIGHT;
}
async function backendGetConcurrentBlock(count: number): Promise<number> {
  for (let i = 0; i < count; i++) await backendBatch();
  return count * IN_FLIGHT;
}
async function regionHitConcurrentBlock(count: number): Promise<number> {
  for (let i = 0; i < count; i++) await regionBatch();
  return count * IN_FLIGHT;
}

const pairedOne = await pairedBlocks('paired blocks, one at a time (reads/s)', [
  { name: 'raw ioredis GET', block: rawGetBlock, count: 100 },
  { name: 'raw getBuffer + msgpack decode', block: rawGetDecodeBlock, count: 100 },
  { name: 'backend get', block: backendGetBlock, count: 100 },
  { name: 'region getOrCreate (hit)', block: regionHitBlock, count: 100 },
]);
const pairedConcurrent = await pairedBlocks(`paired blocks, ${IN_FLIGHT} in flight (reads/s)`, [
  { name: 'raw ioredis GET', block: rawGetConcurrentBlock, count: 10 },
  { name: 'raw getBuffer + msgpack decode', block: rawGetDecodeConcurrentBlock, count: 10 },
  { name: 'backend get', block: backendGetConcurrentBlock, count: 10 },
  { name: 'region getOrCreate (hit)', block: regionHitConcurrentBlock, count: 10 },
]);

let lockCounter = 0;
const lockPair = async () => {
  const mutex = backend.getMutex(`lock-${lockCounter++ % 1000}`)!;
  await mutex.acquire(false);
  await mutex.release();
};
const lockPairs = () => Promise.all(Array.from({ length: IN_FLIGHT }, lockPair));
const locks = await runCases('distributed lock (acquire + release pairs/s)', [
  { name: 'sequential', async: true, fn: lockPair },
  { name: `${IN_FLIGHT} concurrent`, async: true, fn: () => lockPairs().then(() => undefined) },
], { maxTime: 2 });
locks.rows[1]!.hz *= IN_FLIGHT;

/** The commands clients send while `action` runs (MONITOR; commands run inside scripts left out). */
async function commandsDuring(action: () => Promise<unknown>): Promise<string[]> {
  const monitorClient = new Redis(server.url);
  const monitor = await monitorClient.monitor();
  const commands: string[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== 'lua') commands.push(args[0]!.toUpperCase());
  });
  await action();
  await new Promise((resolve) => setTimeout(resolve, 200));
  monitor.disconnect();
  monitorClient.disconnect();
  return commands;
}

// Scripts are loaded on first use (EVALSHA, NOSCRIPT, EVAL); warm them up so the counts show the steady state.
await region.getOrCreate(`warm-up-${Date.now()}`, creator);
const coldRun = await commandsDuring(() => region.getOrCreate(`cold-${Date.now()}`, creator));
const staleKey = `stale-${Date.now()}`;
const shortRegion = makeRegion({ name: 'bench-stale' }).configure('redis', { expirationTime: '50ms', arguments: { url: server.url, prefix: PREFIX } });
await shortRegion.set(staleKey, VALUE);
// First use opens the pub/sub connection and loads the invalidation record; keep that out of the count.
await shortRegion.get(staleKey);
await new Promise((resolve) => setTimeout(resolve, 200));
const staleRun = await commandsDuring(() => shortRegion.getOrCreate(staleKey, creator));

function describeRun(commands: string[]): string {
  const scripts = commands.filter((name) => name === 'EVALSHA' || name === 'EVAL').length;
  return `${commands.length} commands (${commands.join(', ')}), of which ${scripts} scripts: lock acquire, fenced write, lock release`;
}

const notes = [
  `CPU time of this process per read (client side, same blocks): ${cpuPerRead.join('; ')}.`,
  'Ratios come from the "paired blocks" tables: timed blocks of each case (100 reads, or 10 batches of 100) in rotating order, 150 times over, so that noise from other processes falls on every case alike; "±" there is half the interquartile range of the block rates. The benchmark.js tables (median of 3 interleaved rounds, "±" half the spread) are for reference.',
  `Values are msgpack envelopes of ${valueBytes} bytes. Redis ${server.url} is a local redis-server on loopback; every client auto-pipelines.`,
  `The "${IN_FLIGHT} in flight" rows are reads per second (batches of ${IN_FLIGHT} × ${IN_FLIGHT}).`,
  `"raw ioredis GET" is the baseline the target refers to; "raw ioredis getBuffer" shows what the Buffer reply itself costs; "raw getBuffer + msgpack decode" is what the region does for a hit minus the region itself (it returns the decoded value, which a raw GET does not).`,
  `Regeneration of a missing key: ${describeRun(coldRun)}. Lock round trips: 1 to acquire, 1 to release.`,
  `Regeneration of an expired key: ${describeRun(staleRun)}.`,
];

writeResults(
  'redis.md',
  'Redis backend vs raw ioredis',
  [pairedOne, pairedConcurrent, oneAtATime, concurrent, locks],
  [
    { name: 'backend get / raw GET, one at a time', table: pairedOne, ours: 'backend get', baseline: 'raw ioredis GET', target: 0.8 },
    { name: 'region getOrCreate hit / raw GET, one at a time', table: pairedOne, ours: 'region getOrCreate (hit)', baseline: 'raw ioredis GET', target: 0.8 },
    { name: `backend get / raw GET, ${IN_FLIGHT} in flight`, table: pairedConcurrent, ours: 'backend get', baseline: 'raw ioredis GET', target: 0.8 },
    { name: `region getOrCreate hit / raw GET, ${IN_FLIGHT} in flight`, table: pairedConcurrent, ours: 'region getOrCreate (hit)', baseline: 'raw ioredis GET', target: 0.8 },
    { name: 'region getOrCreate hit / raw getBuffer + decode, one at a time', table: pairedOne, ours: 'region getOrCreate (hit)', baseline: 'raw getBuffer + msgpack decode' },
    { name: `region getOrCreate hit / raw getBuffer + decode, ${IN_FLIGHT} in flight`, table: pairedConcurrent, ours: 'region getOrCreate (hit)', baseline: 'raw getBuffer + msgpack decode' },
  ],
  notes,
);

raw.disconnect();
await backend.close();
await region.close();
await shortRegion.close();
await server.dispose();
