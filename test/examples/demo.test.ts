import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('npm run demo', function () {
  this.timeout(120_000);

  it('shows one creator call per stampede in a thread, across worker threads, across processes, and across both at once', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(root, 'examples', 'demo.ts')], { cwd: root });
    const stampedes = stdout.split('\n').filter((line) => /^\s+(cold|expired) key/.test(line));
    expect(stampedes).to.have.length(8);
    for (const line of stampedes) expect(line).to.match(/1000 callers → creator calls: 1,/);
    // On an expired key everyone but the creator gets the previous value, unless a slow machine
    // delays some callers until the new value is already stored: never a third value.
    const expired = stampedes.filter((line) => line.includes('expired key'));
    for (const line of expired) {
      expect(line).to.match(/distinct values: 2,/);
      expect(Number(/served the previous value: (\d+),/.exec(line)?.[1])).to.be.greaterThan(0);
    }
  });
});
