import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sharedRedisUrl } from '../redis/support.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('tiered: examples/tiered-hosts', function () {
  this.timeout(120_000);

  it('runs and prints one creator call for 300 callers over threads, processes and hosts', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/tiered-hosts/main.ts', sharedRedisUrl()], {
      cwd: ROOT,
      timeout: 110_000,
    });
    expect(stdout).to.match(/: 300 callers → creator calls: 1\n/);
    expect(stdout).to.match(/every caller got: built by process \d+, thread \d+\n/);
    expect(stdout).to.not.match(/ \| /);
  });
});
