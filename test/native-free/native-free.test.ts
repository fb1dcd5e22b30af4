// The native-free entry point works end to end in a process where loading any `.node` addon
// throws (fixtures/block-native-addons.cjs), with msgpackr running without its accelerator.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BLOCKER = fileURLToPath(new URL('./fixtures/block-native-addons.cjs', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/native-free-child.ts', import.meta.url));

describe('native-free entry point in a process that cannot load native addons', function () {
  this.timeout(60_000);
  let report: Record<string, unknown>;

  before(async () => {
    const { stdout } = await run(process.execPath, ['--require', BLOCKER, '--import', 'tsx', CHILD], { env: { ...process.env } });
    report = JSON.parse(stdout) as Record<string, unknown>;
  });

  it('the process really cannot load an addon (lmdb fails to import)', () => {
    expect(report.lmdbLoaded).to.equal(false);
    expect(report.lmdbError).to.match(/native addons are blocked/);
  });

  it('msgpackr runs without its native accelerator, whose load was refused', () => {
    expect(report.msgpackrNative).to.equal(false);
    expect((report.blockedAddons as string[]).some((path) => /msgpackr-extract/.test(path))).to.equal(true);
  });

  it('every backend but lmdb is registered; configuring lmdb is PluginNotFound', () => {
    expect(report.backends).to.include.members(['null', 'memory', 'memory-serialized', 'file']);
    expect(report.backends).to.not.include('lmdb');
    expect(report.lmdbConfigured).to.equal(false);
    expect(report.lmdbPluginNotFound).to.equal(true);
  });

  it('the file backend works end to end: round trips, one creator for a stampede, sync API, invalidation, decorators', () => {
    expect(report.roundTrip).to.equal(true);
    expect(report.stampedeCalls).to.equal(1);
    expect(report.stampedeValues).to.deep.equal(['created']);
    expect(report.syncValue).to.equal('sync-created');
    expect(report.afterInvalidate).to.equal(true);
    expect(report.decorated).to.deep.equal([42, 42]);
  });

  it('the other native-free backends answer too (redis and memcached when the run has servers)', () => {
    const others = report.others as Record<string, string>;
    for (const name of ['memory', 'memory-serialized', 'shared-memory', 'tiered']) expect(others[name]).to.equal(`${name} works`);
    if (process.env.DOGPILE_TEST_REDIS_URL) expect(others.redis).to.equal('redis works');
    if (process.env.DOGPILE_TEST_MEMCACHED_SERVERS) expect(others.memcached).to.equal('memcached works');
  });

  it('nothing but the refused attempts touched an addon', () => {
    const blocked = report.blockedAddons as string[];
    expect(blocked.every((path) => /msgpackr-extract|lmdb/.test(path)), blocked.join(', ')).to.equal(true);
  });
});
