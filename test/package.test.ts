import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } });
}

describe('the published package, installed as a user installs it', function () {
  this.timeout(240_000);
  let workdir: string;

  before(() => {
    workdir = mkdtempSync(join(tmpdir(), 'dogpile-pack-'));
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', workdir], root)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed[0]!.files.map((file) => file.path);
    expect(files).to.include('dist/esm/src/index.js');
    expect(files).to.include('dist/cjs/src/index.js');
    expect(files).to.include('dist/esm/src/index.d.ts');
    expect(files.some((file) => file.startsWith('test/') || file.startsWith('src/'))).to.equal(false);
    writeFileSync(join(workdir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--legacy-peer-deps', join(workdir, packed[0]!.filename)], workdir);
  });

  after(() => rmSync(workdir, { recursive: true, force: true }));

  const program = `
    const region = makeRegion({ name: 'pack' }).configure('memory', { expirationTime: '1m' });
    let calls = 0;
    Promise.all([1, 2, 3].map(() => region.getOrCreate('k', async () => ++calls))).then((values) => {
      console.log(JSON.stringify({ values, calls, noValue: String(NO_VALUE), isError: new LockTimeoutError('k', 1) instanceof DogpileCacheError }));
    });`;
  const expected = { values: [1, 1, 1], calls: 1, noValue: 'NoValue.NO_VALUE', isError: true };

  it('works with require()', () => {
    const out = run('node', ['-e', `const { makeRegion, NO_VALUE, LockTimeoutError, DogpileCacheError } = require('dogpile-cache');${program}`], workdir);
    expect(JSON.parse(out)).to.deep.equal(expected);
  });

  it('works with import', () => {
    const out = run('node', ['--input-type=module', '-e', `import { makeRegion, NO_VALUE, LockTimeoutError, DogpileCacheError } from 'dogpile-cache';${program}`], workdir);
    expect(JSON.parse(out)).to.deep.equal(expected);
  });

  it('offers dogpile-cache/native-free and dogpile-cache/testing to both module systems', () => {
    const cjs = run('node', ['-e', `const n = require('dogpile-cache/native-free'); const t = require('dogpile-cache/testing'); console.log(typeof n.makeRegion, typeof t.backendConformanceSuite)`], workdir);
    expect(cjs.trim()).to.equal('function function');
    const esm = run('node', ['--input-type=module', '-e', `import { makeRegion } from 'dogpile-cache/native-free'; import { mutexConformanceSuite } from 'dogpile-cache/testing'; console.log(typeof makeRegion, typeof mutexConformanceSuite)`], workdir);
    expect(esm.trim()).to.equal('function function');
  });

  it('ships type declarations a TypeScript user compiles against', () => {
    writeFileSync(
      join(workdir, 'use.ts'),
      `import { makeRegion, NO_VALUE, type CacheStats } from 'dogpile-cache';\n` +
        `const region = makeRegion().configure('memory', { expirationTime: '30s' });\n` +
        `const value: Promise<number> = region.getOrCreate('k', async () => 1);\n` +
        `const stats: CacheStats = region.stats();\n` +
        `void value; void stats; void NO_VALUE;\n`,
    );
    writeFileSync(
      join(workdir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] }, files: ['use.ts'] }),
    );
    run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(workdir, 'tsconfig.json'), '--typeRoots', join(root, 'node_modules', '@types')], workdir);
  });
});
