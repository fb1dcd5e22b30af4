// The whole chain at once: two hosts (each its own lmdb path) of two processes, each process with
// three threads over one shared-memory tier, all over one Redis. A stampede on a cold key costs
// one creator call, and Redis sees at most one lock attempt per host.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RedisBackend } from '../../../src/index.js';
import { encodeEnvelope, msgpackSerializer } from '../../../src/serialization/index.js';
import { freshDir, removeTempDirs } from '../lmdb/support.js';
import { sharedRedisUrl, uniquePrefix } from '../redis/support.js';

after(removeTempDirs);

const HOST_PROCESS = fileURLToPath(new URL('./fixtures/host-process.ts', import.meta.url));

interface HostReport {
  creatorCalls: number;
  redisAttempts: number;
  values: string[];
}

describe('tiered: threads × processes × hosts', function () {
  this.timeout(90_000);

  it('a cold key stampeded by 3 threads × 2 processes × 2 hosts: one creator call, at most one Redis lock attempt per host', async () => {
    const prefix = uniquePrefix('tiered-hosts');
    const reports = await stampedeOnHosts(prefix, 'cold');
    expect(total(reports, 'creatorCalls'), 'creator calls').to.equal(1);
    expect(new Set(reports.flatMap((report) => report.values)).size, 'every caller got the one value').to.equal(1);
    expect(total(reports, 'redisAttempts'), 'Redis lock attempts').to.be.within(1, HOSTS);
  });

  it('a key expired everywhere (only Redis holds it): one creator call; every caller gets the stale value or the new one', async () => {
    const prefix = uniquePrefix('tiered-hosts');
    const redis = new RedisBackend({ url: sharedRedisUrl(), prefix });
    await redis.set('expired', encodeEnvelope(Date.now() - 90_000, msgpackSerializer('stale')));
    await redis.close();
    const reports = await stampedeOnHosts(prefix, 'expired');
    expect(total(reports, 'creatorCalls'), 'creator calls').to.equal(1);
    const values = new Set(reports.flatMap((report) => report.values));
    values.delete('stale');
    expect(values.size, `values other than the stale one: ${[...values].join(', ')}`).to.equal(1);
    expect(total(reports, 'redisAttempts'), 'Redis lock attempts').to.be.within(1, HOSTS);
  });
});

const HOSTS = 2;
const PROCESSES_PER_HOST = 2;

/** Runs every process of every host against one key; each host has its own lmdb path. */
async function stampedeOnHosts(prefix: string, key: string): Promise<HostReport[]> {
  const hosts = Array.from({ length: HOSTS }, (_, index) => freshDir(`host-${index}`));
  // Started together once every process had time to boot; later starters only find the value sooner.
  const startAt = Date.now() + 4_000;
  return Promise.all(
    hosts.flatMap((path) => Array.from({ length: PROCESSES_PER_HOST }, () => path)).map(async (path) => {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', HOST_PROCESS, path, sharedRedisUrl(), prefix, key, String(startAt)], {
        cwd: process.cwd(),
      });
      return JSON.parse(stdout.trim().split('\n').at(-1)!) as HostReport;
    }),
  );
}

function total(reports: HostReport[], field: 'creatorCalls' | 'redisAttempts'): number {
  return reports.reduce((sum, report) => sum + report[field], 0);
}
