import { expect } from 'chai';
import { ValidationError } from '../../../src/errors.js';
import { NEVER } from '../../../src/time.js';
import { DEFAULT_MAX_ITEM_BYTES, resolveMemcachedOptions, storeTtlMs } from '../../../src/backends/memcached/options.js';
import { MAX_RELATIVE_EXPIRATION_SECONDS, memcachedExpiration } from '../../../src/backends/memcached/ttl.js';
import { MemcachedBackend } from '../../../src/backends/memcached/index.js';

function rejects(args: Record<string, unknown>, option: string): void {
  expect(() => resolveMemcachedOptions(args), option).to.throw(ValidationError, option);
}

describe('memcached backend: options', () => {
  it('has documented defaults', () => {
    const options = resolveMemcachedOptions({});
    expect(options.servers).to.deep.equal(['127.0.0.1:11211']);
    expect(options.prefix).to.equal('');
    expect(options.expireTimeMs).to.equal(undefined);
    expect(options.expireGraceMs).to.equal(undefined);
    expect(options.maxItemBytes).to.equal(DEFAULT_MAX_ITEM_BYTES).and.to.equal(1048576);
    expect(options.timeoutMs).to.equal(500);
    expect(options.connectTimeoutMs).to.equal(1000);
    expect(options.retries).to.equal(1);
    expect(options.retryDelayMs).to.equal(100);
    expect(options.operationTimeoutMs).to.equal(2 * 1000 + 100 + 100);
    expect(options.keepAlive).to.equal(false);
    expect(options.batchWrites).to.equal(true);
    expect(options.username).to.equal(undefined);
    expect(options.password).to.equal(undefined);
    expect(options.distributedLock).to.equal(true);
    expect(options.lockLeaseSeconds).to.equal(30);
    expect(options.lockRenewIntervalMs).to.equal(10_000);
    expect(options.lockRetryMinMs).to.equal(5);
    expect(options.lockRetryMaxMs).to.equal(100);
    expect(options.lockTimeoutMs).to.equal(undefined);
  });

  it('accepts servers as a string, a comma-separated list or an array, with credentials', () => {
    expect(resolveMemcachedOptions({ servers: 'a:1' }).servers).to.deep.equal(['a:1']);
    expect(resolveMemcachedOptions({ servers: 'a:1, b:2' }).servers).to.deep.equal(['a:1', 'b:2']);
    expect(resolveMemcachedOptions({ servers: ['u:p@a:1', 'b', '[::1]:11211'] }).servers).to.deep.equal(['u:p@a:1', 'b', '[::1]:11211']);
    rejects({ servers: 42 }, 'servers');
    rejects({ servers: [] }, 'servers');
    rejects({ servers: 'a b:1' }, 'servers');
    rejects({ servers: 'a:99999' }, 'servers');
    rejects({ servers: 'a:1,,b:2' }, 'servers');
  });

  it('validates the prefix', () => {
    expect(resolveMemcachedOptions({ prefix: 'users:' }).prefix).to.equal('users:');
    rejects({ prefix: 'has space' }, 'prefix');
    rejects({ prefix: 'tab\t' }, 'prefix');
    rejects({ prefix: 'nul\u0000' }, 'prefix');
    rejects({ prefix: 'x'.repeat(129) }, 'prefix');
    rejects({ prefix: 'é'.repeat(65) }, 'prefix'); // 130 bytes of UTF-8
    rejects({ prefix: 7 }, 'prefix');
  });

  it('reads durations as ms or strings and refuses bad ones, naming the option', () => {
    const options = resolveMemcachedOptions({
      timeout: '250ms',
      connectTimeout: '1s',
      retries: 0,
      retryDelay: 50,
      lockLease: '10s',
      lockRenewInterval: '2s',
      lockRetryMin: 2,
      lockRetryMax: '1s',
      lockTimeout: '3s',
      memcachedExpireTime: '5m',
      memcachedExpireGrace: '30s',
    });
    expect(options.timeoutMs).to.equal(250);
    expect(options.connectTimeoutMs).to.equal(1000);
    expect(options.operationTimeoutMs).to.equal(1000 + 100);
    expect(options.lockLeaseSeconds).to.equal(10);
    expect(options.lockRenewIntervalMs).to.equal(2000);
    expect(options.lockRetryMinMs).to.equal(2);
    expect(options.lockRetryMaxMs).to.equal(1000);
    expect(options.lockTimeoutMs).to.equal(3000);
    expect(options.expireTimeMs).to.equal(300_000);
    expect(options.expireGraceMs).to.equal(30_000);
    for (const option of ['timeout', 'connectTimeout', 'retryDelay', 'operationTimeout', 'lockRetryMin', 'lockRetryMax', 'lockTimeout']) {
      rejects({ [option]: 'soon' }, option);
      rejects({ [option]: -5 }, option);
    }
    rejects({ timeout: -1 }, 'timeout'); // "never" makes no sense for a timeout
    rejects({ lockTimeout: -1 }, 'lockTimeout'); // a lock wait is always bounded
    rejects({ operationTimeout: 0 }, 'operationTimeout');
    rejects({ memcachedExpireTime: '1 week' }, 'memcachedExpireTime');
    rejects({ memcachedExpireGrace: -1 }, 'memcachedExpireGrace');
  });

  it('rounds the lease up to whole seconds and refuses leases under 2 s', () => {
    expect(resolveMemcachedOptions({ lockLease: 2500 }).lockLeaseSeconds).to.equal(3);
    expect(resolveMemcachedOptions({ lockLease: '2s' }).lockRenewIntervalMs).to.be.closeTo(666.7, 1);
    rejects({ lockLease: 1000 }, 'lockLease');
    rejects({ lockLease: '30s', lockRenewInterval: '29s' }, 'lockRenewInterval');
    rejects({ lockRetryMin: 50, lockRetryMax: 10 }, 'lockRetryMax');
  });

  it('validates integers and booleans', () => {
    expect(resolveMemcachedOptions({ retries: 3 }).retries).to.equal(3);
    rejects({ retries: 1.5 }, 'retries');
    rejects({ retries: -1 }, 'retries');
    expect(resolveMemcachedOptions({ maxItemBytes: 4096 }).maxItemBytes).to.equal(4096);
    rejects({ maxItemBytes: 10 }, 'maxItemBytes');
    rejects({ maxItemBytes: '1m' }, 'maxItemBytes');
    expect(resolveMemcachedOptions({ keepAlive: true }).keepAlive).to.equal(true);
    rejects({ keepAlive: 'yes' }, 'keepAlive');
    expect(resolveMemcachedOptions({ batchWrites: false }).batchWrites).to.equal(false);
    rejects({ batchWrites: 0 }, 'batchWrites');
    expect(resolveMemcachedOptions({ distributedLock: false }).distributedLock).to.equal(false);
    rejects({ distributedLock: 1 }, 'distributedLock');
    expect(resolveMemcachedOptions({ username: 'u', password: 'p' })).to.include({ username: 'u', password: 'p' });
    rejects({ username: '' }, 'username');
    rejects({ password: 5 }, 'password');
  });

  it('refuses unknown options, listing the known ones', () => {
    expect(() => resolveMemcachedOptions({ memcached_expire_time: 10 })).to.throw(ValidationError, /unknown option "memcached_expire_time".*memcachedExpireTime/);
  });

  it('fails at construction, not at first use', () => {
    expect(() => new MemcachedBackend({ prefix: 'a b' })).to.throw(ValidationError, 'prefix');
  });

  describe('store TTL', () => {
    it('follows the region: expiration plus a grace of the expiration itself, at least 60 s', () => {
      const defaults = resolveMemcachedOptions({});
      expect(storeTtlMs(defaults, undefined)).to.equal(NEVER);
      expect(storeTtlMs(defaults, NEVER)).to.equal(NEVER);
      expect(storeTtlMs(defaults, 10_000)).to.equal(70_000);
      expect(storeTtlMs(defaults, 3_600_000)).to.equal(7_200_000);
      expect(storeTtlMs(resolveMemcachedOptions({ memcachedExpireGrace: '5s' }), 10_000)).to.equal(15_000);
    });

    it('an explicit memcachedExpireTime wins; 0 and -1 mean no store TTL', () => {
      expect(storeTtlMs(resolveMemcachedOptions({ memcachedExpireTime: '2h' }), 10_000)).to.equal(7_200_000);
      expect(storeTtlMs(resolveMemcachedOptions({ memcachedExpireTime: 0 }), 10_000)).to.equal(NEVER);
      expect(storeTtlMs(resolveMemcachedOptions({ memcachedExpireTime: -1 }), 10_000)).to.equal(NEVER);
    });

    it('useRegionOptions applies the rule to a backend', async () => {
      const backend = new MemcachedBackend({});
      expect(backend.storeTtlMs).to.equal(NEVER);
      backend.useRegionOptions({ expirationTimeMs: 30_000, lockTimeoutMs: 1000 });
      expect(backend.storeTtlMs).to.equal(90_000);
      await backend.close();
    });

    it('converts to memcached expiration fields: seconds rounded up, absolute Unix time past 30 days', () => {
      expect(memcachedExpiration(NEVER)).to.equal(0);
      expect(memcachedExpiration(1)).to.equal(1);
      expect(memcachedExpiration(1500)).to.equal(2);
      expect(memcachedExpiration(MAX_RELATIVE_EXPIRATION_SECONDS * 1000)).to.equal(MAX_RELATIVE_EXPIRATION_SECONDS);
      const now = 1_700_000_000_000;
      expect(memcachedExpiration((MAX_RELATIVE_EXPIRATION_SECONDS + 1) * 1000, now)).to.equal(1_700_000_000 + MAX_RELATIVE_EXPIRATION_SECONDS + 1);
    });
  });
});
