// file backend, one run: region.getSync hits against fs.readFileSync of the same entry file +
// msgpackr.unpack (target ≥ 0.7×), the async path against fs.promises.readFile + unpack, and
// creation-lock acquire+release pairs per second in this process and across processes.
// Run with `npx tsx bench/file.bench.ts`; writes bench/results/file.md.
// The same file is the contender child process (argv: `contender <directory> <key> <ms>`).
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unpack } from 'msgpackr';
import { FileBackend } from '../src/backends/file/index.js';
import { makeRegion } from '../src/index.js';
import { crossProcessLockTable } from './support/cross-process.js';
import { runCases, withBestBaseline, writeResults } from './support/suite.js';

const HEADER_SIZE = 12;

if (process.argv[2] === 'contender') {
  const [, , , directory, key, ms] = process.argv as [string, string, string, string, string, string];
  const backend = new FileBackend({ directory });
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
  backend.close();
  process.send!({ pairs }, () => process.exit(0));
} else {
  await main();
}


async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dogpile-bench-file-'));
  try {
    const KEY = 'user:42';
    const VALUE = { id: 42, name: 'Ada Lovelace', email: 'ada@example.com', roles: ['admin', 'dev'], active: true, score: 99.5, tags: ['a', 'b', 'c'] };

    const region = makeRegion({ name: 'bench' }).configure('file', { expirationTime: '1h', arguments: { directory: join(dir, 'region') } });
    await region.ready;
    await region.set(KEY, VALUE);
    const backend = region.actualBackend as FileBackend;
    const entryFile = (backend as unknown as { layout: { entryPath(key: string): string } }).layout.entryPath(KEY);

    const hits = await runCases('Hit on one key, synchronous', [
      { name: 'fs.readFileSync + msgpackr.unpack', fn: () => unpack(readFileSync(entryFile).subarray(HEADER_SIZE)) },
      { name: 'file backend getSync (bytes only)', fn: () => backend.getSync(KEY) },
      { name: 'dogpile region.getSync', fn: () => region.getSync(KEY) },
      { name: 'dogpile region.getOrCreateSync', fn: () => region.getOrCreateSync(KEY, () => VALUE) },
      { name: 'fs.readFileSync + msgpackr.unpack (again)', fn: () => unpack(readFileSync(entryFile).subarray(HEADER_SIZE)) },
    ]);
    const syncBaseline = withBestBaseline(hits, 'fs.readFileSync + msgpackr.unpack');
    const asyncHits = await runCases('Hit on one key, asynchronous', [
      { name: 'fs.promises.readFile + msgpackr.unpack', async: true, fn: async () => unpack((await readFile(entryFile)).subarray(HEADER_SIZE)) },
      { name: 'dogpile region.get', async: true, fn: () => region.get(KEY) },
      { name: 'dogpile region.getOrCreate', async: true, fn: () => region.getOrCreate(KEY, () => VALUE) },
      { name: 'fs.promises.readFile + msgpackr.unpack (again)', async: true, fn: async () => unpack((await readFile(entryFile)).subarray(HEADER_SIZE)) },
    ]);
    const asyncBaseline = withBestBaseline(asyncHits, 'fs.promises.readFile + msgpackr.unpack');

    const lockBackend = new FileBackend({ directory: join(dir, 'locks') });
    const inProcess = await runCases('Lock pairs in one process (uncontended)', [
      {
        name: 'acquireSync(false) + releaseSync',
        fn: () => {
          const mutex = lockBackend.getMutex('k');
          mutex.acquireSync(false);
          mutex.releaseSync();
        },
      },
    ]);
    lockBackend.close();

    const ms = 3_000;
    const crossTable = await crossProcessLockTable(fileURLToPath(import.meta.url), join(dir, 'cross'), ms);

    writeResults(
      'file.md',
      'file backend',
      [hits, asyncHits, inProcess, crossTable],
      [
        { table: hits, name: 'region.getSync / readFileSync + unpack', ours: 'dogpile region.getSync', baseline: syncBaseline, target: 0.7 },
        { table: hits, name: 'backend getSync / readFileSync + unpack', ours: 'file backend getSync (bytes only)', baseline: syncBaseline },
        { table: asyncHits, name: 'region.get / fs.promises.readFile + unpack', ours: 'dogpile region.get', baseline: asyncBaseline },
      ],
      [
        'The baseline reads the very entry file the backend wrote (known path, no hashing) and unpacks its payload. Baselines run first and again last; ratios use the better run.',
        'A backend read finds the file by the SHA-256 of the key (remembered for recent keys) and reads it with open + read + close; a region hit also checks the invalidation file (one stat per synchronous stretch) and expiry.',
        'A lock pair is an O_EXCL create + write + close, then, under an O_EXCL guard file, a read and an unlink: about ten system calls.',
        `Cross-process rows are measured over ${ms / 1000} s with child processes on the same machine (2 vCPUs), one run each.`,
      ],
    );
    await region.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
