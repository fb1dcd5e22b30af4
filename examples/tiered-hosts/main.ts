// One cache over threads, processes and hosts: two "hosts" (each its own lmdb directory) of two
// processes, each process with three threads, all asking for the same cold key at the same moment.
// Run with `npx tsx examples/tiered-hosts/main.ts [redis-url]` (default redis://127.0.0.1:6379).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const redisUrl = process.argv[2] ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const HOSTS = 2;
const PROCESSES_PER_HOST = 2;

const hosts = Array.from({ length: HOSTS }, () => mkdtempSync(join(tmpdir(), 'dogpile-tiered-host-')));
const prefix = `tiered-example-${randomBytes(4).toString('hex')}:`;
// Every process starts its callers at this moment, once all of them have had time to boot.
const startAt = Date.now() + 3_000;
try {
  const reports = await Promise.all(
    hosts.flatMap((directory) =>
      Array.from({ length: PROCESSES_PER_HOST }, async () => {
        const { stdout } = await promisify(execFile)(process.execPath, [
          '--import',
          'tsx',
          fileURLToPath(new URL('./host.ts', import.meta.url)),
          directory,
          redisUrl,
          prefix,
          String(startAt),
        ]);
        return JSON.parse(stdout.trim().split('\n').at(-1)!) as { creatorCalls: number; values: string[] };
      }),
    ),
  );
  const callers = reports.reduce((sum, report) => sum + report.values.length, 0);
  const creatorCalls = reports.reduce((sum, report) => sum + report.creatorCalls, 0);
  const distinct = new Set(reports.flatMap((report) => report.values));
  console.log(`${HOSTS} hosts × ${PROCESSES_PER_HOST} processes × 3 threads: ${callers} callers → creator calls: ${creatorCalls}`);
  console.log(`every caller got: ${[...distinct].join(' | ')}`);
} catch (error) {
  console.error(`This example needs a Redis at ${redisUrl}: start one with`);
  console.error(`  redis-server --port 6379 --bind 127.0.0.1 --save '' --daemonize yes`);
  console.error(`or pass its URL as the first argument.\n`);
  throw error;
} finally {
  for (const directory of hosts) rmSync(directory, { recursive: true, force: true });
}
