// lmdb backend, one run: region.getSync hits against a raw lmdb-js `get` of the same bytes +
// msgpackr.unpack (target ≥ 0.7×), and creation-lock acquire+release pairs per second, in this
// process and across processes on one key (the contended case) and on one key per process.
// Run with `npx tsx bench/lmdb.bench.ts`; writes bench/results/lmdb.md.
// The same file is the contender child process (argv: `contender <path> <key> <ms>`).
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { open } from 'lmdb';
import { unpack } from 'msgpackr';
import { LmdbBackend } from '../src/backends/lmdb/index.js';
import { makeRegion } from '../src/index.js';
import { crossProcessLockTable } from './support/cross-process.js';
import { runCases, withBestBaseline, writeResults } from './support/suite.js';

const HEADER_SIZE = 12;

if (process.argv[2] === 'contender') {
  const [, , , path, key, ms] = process.argv as [string, string, string, string, string, string];
  const backend = new LmdbBackend({ path });
  process.send!('ready');
  await once(process, 'message');
  const until = Date.now() + Number(ms);
  let pairs = 0;
  while (Date.now() < until) {
    const mutex = backend.getMutex(key);
    if (!mutex.acquireSync(true, 10_000)) throw new Error('lock wait ran out');
    mutex.releaseSync();
    pairs++;
  }
  await backend.close();
  process.send!({ pairs }, () => process.exit(0));
} else {
  await main();
}



async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dogpile-bench-lmdb-'));
  try {
    const KEY = 'user:42';
    const VALUE = { id: 42, name: 'Ada Lovelace', email: 'ada@example.com', roles: ['admin', 'dev'], active: true, score: 99.5, tags: ['a', 'b', 'c'] };

    const region = makeRegion({ name: 'bench' }).configure('lmdb', { expirationTime: '1h', arguments: { path: join(dir, 'region') } });
    await region.ready;
    await region.set(KEY, VALUE);
    const backend = region.actualBackend as LmdbBackend;
    const stored = backend.getSync(KEY) as Uint8Array;

    // The baseline: the same envelope bytes in a plain lmdb-js database, read and unpacked.
    const rawEnv = open({ path: join(dir, 'raw'), noSync: true });
    const raw = rawEnv.openDB<Buffer, string>({ name: 'raw', encoding: 'binary' });
    raw.putSync(KEY, Buffer.from(stored));

    const hits = await runCases(`Hit on one key (~${stored.length} B entry)`, [
      { name: 'raw lmdb-js get + msgpackr.unpack', fn: () => unpack(raw.get(KEY)!.subarray(HEADER_SIZE)) },
      { name: 'raw lmdb-js getBinaryFast + msgpackr.unpack', fn: () => unpack(raw.getBinaryFast(KEY)!.subarray(HEADER_SIZE)) },
      { name: 'lmdb backend getSync (bytes only)', fn: () => backend.getSync(KEY) },
      { name: 'dogpile region.getSync', fn: () => region.getSync(KEY) },
      { name: 'dogpile region.getOrCreateSync', fn: () => region.getOrCreateSync(KEY, () => VALUE) },
      { name: 'dogpile region.get (async)', async: true, fn: () => region.get(KEY) },
      { name: 'raw lmdb-js get + msgpackr.unpack (again)', fn: () => unpack(raw.get(KEY)!.subarray(HEADER_SIZE)) },
      { name: 'raw lmdb-js getBinaryFast + msgpackr.unpack (again)', fn: () => unpack(raw.getBinaryFast(KEY)!.subarray(HEADER_SIZE)) },
    ]);
    const rawGet = withBestBaseline(hits, 'raw lmdb-js get + msgpackr.unpack');
    const rawFast = withBestBaseline(hits, 'raw lmdb-js getBinaryFast + msgpackr.unpack');

    const lockBackend = new LmdbBackend({ path: join(dir, 'locks') });
    const inProcess = await runCases('Lock pairs in one process (uncontended)', [
      {
        name: 'acquireSync(false) + releaseSync',
        fn: () => {
          const mutex = lockBackend.getMutex('k');
          mutex.acquireSync(false);
          mutex.releaseSync();
        },
      },
      {
        name: 'acquire() + release() (async API)',
        async: true,
        fn: async () => {
          const mutex = lockBackend.getMutex('k');
          await mutex.acquire();
          mutex.release();
        },
      },
    ]);
    await lockBackend.close();

    const ms = 3_000;
    const crossTable = await crossProcessLockTable(fileURLToPath(import.meta.url), join(dir, 'cross'), ms);

    writeResults(
      'lmdb.md',
      'lmdb backend',
      [hits, inProcess, crossTable],
      [
        { table: hits, name: 'region.getSync / raw get + unpack', ours: 'dogpile region.getSync', baseline: rawGet, target: 0.7 },
        { table: hits, name: 'region.getSync / raw getBinaryFast + unpack (no copy)', ours: 'dogpile region.getSync', baseline: rawFast },
        { table: hits, name: 'backend getSync / raw get + unpack', ours: 'lmdb backend getSync (bytes only)', baseline: rawGet },
        { table: hits, name: 'region.getOrCreateSync / raw get + unpack', ours: 'dogpile region.getOrCreateSync', baseline: rawGet },
      ],
      [
        'Values are envelope bytes (12-byte header + msgpack); the baseline reads the same bytes from a plain lmdb-js database and unpacks the payload. Baselines run first and again last; ratios use the better run.',
        'A region hit also reads the shared invalidation state (one more LMDB lookup) and checks expiry.',
        'Each lock pair is two LMDB write transactions (noSync) plus a read; every process and thread of the environment shares one write lock, so pairs do not scale with processes.',
        `Cross-process rows are measured over ${ms / 1000} s with child processes on the same machine (2 vCPUs), one run each.`,
      ],
    );
    await region.close();
    await rawEnv.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
