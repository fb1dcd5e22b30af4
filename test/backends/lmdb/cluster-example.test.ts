// Runs examples/cluster-http: a node:cluster server (2 workers, one lmdb region) under bursts of
// concurrent requests; one creator call for the cold key and one per expiry, the rest stale.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const LOAD = fileURLToPath(new URL('../../../examples/cluster-http/load.ts', import.meta.url));
const REQUESTS = 100;

describe('examples/cluster-http: a clustered HTTP server over one lmdb region', function () {
  this.timeout(90_000);

  it(`${REQUESTS} concurrent requests per burst: one creator call for a cold key and per expiry, every other caller served stale`, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', LOAD, String(REQUESTS)], { timeout: 80_000 });
    const lines = stdout.trim().split('\n');
    expect(lines.some((line) => line.startsWith('cold key:'))).to.equal(true);
    const summary = JSON.parse(lines.at(-1)!) as { cold: number; expiries: Array<{ creatorCalls: number; stale: number; fresh: number; workers: number }> };
    expect(summary.cold).to.equal(1);
    expect(summary.expiries).to.have.length(3);
    for (const expiry of summary.expiries) {
      expect(expiry.creatorCalls).to.equal(1);
      expect(expiry.fresh).to.equal(1);
      expect(expiry.stale).to.equal(REQUESTS - 1);
      expect(expiry.workers, 'requests reached both workers').to.equal(2);
    }
  });
});
