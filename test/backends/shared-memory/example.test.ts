import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('shared-memory: examples/piscina-memoize', function () {
  this.timeout(120_000);

  it('runs and prints one creator call per id, none on a warm cache, one per id after invalidate()', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/piscina-memoize/main.ts'], { cwd: ROOT, timeout: 110_000 });
    const calls = [...stdout.matchAll(/creator calls: (\d+)/g)].map((match) => Number(match[1]));
    expect(calls, stdout).to.deep.equal([10, 0, 10]);
    expect(stdout).to.match(/creations 20\b/);
  });
});
