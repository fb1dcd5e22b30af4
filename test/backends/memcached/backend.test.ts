import { expect } from 'chai';
import { DogpileCacheError, ValidationError, ValueTooLargeError } from '../../../src/errors.js';
import { readHeader } from '../../../src/serialization/index.js';
import { isNoValue, NO_VALUE } from '../../../src/values.js';
import { ITEM_OVERHEAD_BYTES, MemcachedBackend } from '../../../src/backends/memcached/index.js';
import { startMemcached } from '../../support/servers.js';
import { makeRegion } from '../../../src/index.js';
import { BackendPool, envelope, rawClient, sharedServers, sleep, text, uniquePrefix } from './support.js';

describe('memcached backend: storage', () => {
  const pool = new BackendPool();
  let raw: ReturnType<typeof rawClient>;
  before(() => (raw = rawClient()));
  afterEach(() => pool.closeAll());
  after(() => raw.close());

  it('is a serialized backend: stores and returns envelope bytes unchanged', async () => {
    const backend = pool.create();
    expect(backend.serialized).to.equal(true);
    const bytes = envelope('hello', 1_700_000_000_123);
    await backend.set('k', bytes);
    const back = (await backend.get('k')) as Uint8Array;
    expect(back).to.be.instanceOf(Uint8Array);
    expect([...back]).to.deep.equal([...bytes]);
    expect(readHeader(back)!.createdAt).to.equal(1_700_000_000_123);
    // A view into a larger buffer is stored as its own bytes only.
    const big = new Uint8Array(64).fill(7);
    big.set(bytes, 10);
    await backend.set('view', big.subarray(10, 10 + bytes.length));
    expect([...((await backend.get('view')) as Uint8Array)]).to.deep.equal([...bytes]);
  });

  it('returns NO_VALUE for a missing key and after delete; deletes are idempotent', async () => {
    const backend = pool.create();
    expect(await backend.get('missing')).to.equal(NO_VALUE);
    await backend.set('k', envelope('v'));
    await backend.delete('k');
    expect(await backend.get('k')).to.equal(NO_VALUE);
    await backend.delete('k');
  });

  it('getMulti is aligned with its keys; setMulti and deleteMulti cover every entry', async () => {
    const backend = pool.create();
    await backend.setMulti([
      ['a', envelope('A')],
      ['c', envelope('C')],
      ['long '.repeat(80), envelope('L')],
    ]);
    const values = await backend.getMulti(['a', 'b', 'c', 'long '.repeat(80)]);
    expect(values.map((value) => (isNoValue(value) ? null : text(value)))).to.deep.equal(['A', null, 'C', 'L']);
    await backend.deleteMulti(['a', 'c']);
    expect((await backend.getMulti(['a', 'c'])).every(isNoValue)).to.equal(true);
    expect(await backend.getMulti([])).to.deep.equal([]);
  });

  for (const batchWrites of [true, false]) {
    it(`answers each of many concurrent requests with its own value (batchWrites: ${batchWrites})`, async () => {
      const backend = pool.create({ batchWrites });
      const keys = Array.from({ length: 300 }, (_, index) => `concurrent-${index}`);
      await Promise.all(keys.map((key) => backend.set(key, envelope(key))));
      const values = await Promise.all(keys.map((key) => backend.get(key)));
      expect(values.map((value) => text(value as Uint8Array))).to.deep.equal(keys);
      const mixed = await Promise.all(keys.map((key, index) => (index % 3 === 0 ? backend.delete(key) : backend.get(key))));
      expect(mixed.filter((value) => value !== undefined).map((value) => text(value as Uint8Array))).to.deep.equal(keys.filter((_, index) => index % 3 !== 0));
    });
  }

  it('refuses values that are not serialized bytes', async () => {
    const backend = pool.create();
    let error: unknown;
    try {
      await backend.set('k', { payload: 1, metadata: { ct: 0, v: 2 } } as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(DogpileCacheError);
    expect(String(error)).to.include('"k"');
  });

  it('store TTL: memcachedExpireTime, or the region expiration plus the grace, makes memcached drop entries', async () => {
    // memcached counts whole seconds and may expire an entry up to a second early: assertions keep ≥ 1 s of slack.
    const explicit = pool.create({ memcachedExpireTime: '2s' });
    const derived = pool.create({ memcachedExpireGrace: '1s' });
    derived.useRegionOptions({ expirationTimeMs: 1000, lockTimeoutMs: 1000 });
    // With a never-expiring region (or none known) entries stay until memcached's LRU evicts them.
    const keeper = pool.create();
    keeper.useRegionOptions({ expirationTimeMs: Number.POSITIVE_INFINITY, lockTimeoutMs: 1000 });
    // Through a region, which tells the backend its expiration time when it is configured.
    const region = makeRegion({ name: 'ttl' }).configure('memcached', {
      expirationTime: 1000,
      arguments: { servers: sharedServers(), prefix: uniquePrefix('ttl-region'), memcachedExpireGrace: '1s' },
    });
    const regionBackend = region.actualBackend as MemcachedBackend;
    expect(regionBackend.storeTtlMs).to.equal(2000);
    await Promise.all([explicit.set('k', envelope('v')), derived.set('k', envelope('v')), keeper.set('k', envelope('v')), region.set('k', 'v')]);
    expect((await raw.get(regionBackend.memcachedKey('k'))).value).to.not.equal(null);
    expect(isNoValue(await explicit.get('k'))).to.equal(false);
    expect(isNoValue(await derived.get('k'))).to.equal(false);
    await sleep(3200);
    expect(await explicit.get('k')).to.equal(NO_VALUE);
    expect(await derived.get('k')).to.equal(NO_VALUE);
    expect(isNoValue(await keeper.get('k'))).to.equal(false);
    expect((await raw.get(regionBackend.memcachedKey('k'))).value).to.equal(null);
    await region.close();
  });

  describe('item size limit', () => {
    it('refuses a value over the limit before sending it, naming the key and size', async () => {
      const backend = pool.create();
      const key = 'too-big';
      const limit = 1024 * 1024 - Buffer.byteLength(backend.memcachedKey(key)) - ITEM_OVERHEAD_BYTES;
      const value = new Uint8Array(limit + 1);
      let error: unknown;
      try {
        await backend.set(key, value);
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(ValueTooLargeError);
      const tooLarge = error as ValueTooLargeError;
      expect(tooLarge.key).to.equal(key);
      expect(tooLarge.size).to.equal(limit + 1);
      expect(tooLarge.limit).to.equal(limit);
      expect(tooLarge.message).to.include('"too-big"').and.include(String(limit + 1)).and.include('maxItemBytes');
      expect((await raw.get(backend.memcachedKey(key))).value).to.equal(null);
    });

    it('stores a value exactly at the limit on a default memcached (1 MB items)', async () => {
      const backend = pool.create();
      const key = 'at-limit';
      const limit = 1024 * 1024 - Buffer.byteLength(backend.memcachedKey(key)) - ITEM_OVERHEAD_BYTES;
      await backend.set(key, new Uint8Array(limit).fill(1));
      expect(((await backend.get(key)) as Uint8Array).byteLength).to.equal(limit);
    });

    it('maxItemBytes lowers the limit; setMulti sends nothing when one value is over it', async () => {
      const backend = pool.create({ maxItemBytes: 4096 });
      let error: unknown;
      try {
        await backend.setMulti([
          ['small', envelope('fits')],
          ['large', new Uint8Array(5000)],
        ]);
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(ValueTooLargeError);
      expect((error as ValueTooLargeError).key).to.equal('large');
      expect(await backend.get('small')).to.equal(NO_VALUE);
    });

    it("turns the server's own refusal (its -I below maxItemBytes) into ValueTooLargeError; the connection stays usable", async () => {
      const backend = pool.create({ maxItemBytes: 2 * 1024 * 1024 });
      let error: unknown;
      try {
        await backend.set('big', new Uint8Array(1536 * 1024));
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(ValueTooLargeError);
      expect((error as Error).message).to.include('"big"').and.include('-I');
      await backend.set('small', envelope('ok'));
      expect(text((await backend.get('small')) as Uint8Array)).to.equal('ok');
    });
  });

  it('spreads keys over several servers and reads each back', async () => {
    const servers = await Promise.all([startMemcached(), startMemcached()]);
    try {
      const backend = pool.create({ servers: servers.map((server) => server.url) });
      const keys = Array.from({ length: 40 }, (_, index) => `key-${index}`);
      await backend.setMulti(keys.map((key) => [key, envelope(key)] as const));
      const values = await backend.getMulti(keys);
      expect(values.map((value) => text(value as Uint8Array))).to.deep.equal(keys);
      const held = await Promise.all(
        servers.map(async (server) => {
          const client = rawClient(server.url);
          const found = await Promise.all(keys.map(async (key) => (await client.get(backend.memcachedKey(key))).value !== null));
          client.close();
          return found.filter(Boolean).length;
        }),
      );
      expect(held[0]! + held[1]!).to.equal(keys.length);
      expect(held[0]).to.be.greaterThan(0);
      expect(held[1]).to.be.greaterThan(0);
    } finally {
      await pool.closeAll();
      await Promise.all(servers.map((server) => server.dispose()));
    }
  });

  it('share() gives a structured-cloneable handle that attach() turns into a backend over the same data', async () => {
    const backend = pool.create({ memcachedExpireGrace: '5s' });
    backend.useRegionOptions({ expirationTimeMs: 10_000, lockTimeoutMs: 500 });
    await backend.set('k', envelope('shared'));
    const handle = structuredClone(backend.share());
    const attached = MemcachedBackend.attach(handle);
    try {
      expect(text((await attached.get('k')) as Uint8Array)).to.equal('shared');
      expect(attached.storeTtlMs).to.equal(15_000);
    } finally {
      await attached.close();
    }
    expect(() => MemcachedBackend.attach({ kind: 'redis' })).to.throw(ValidationError);
  });

  it('invalidate() holds in the region that made it: memcached cannot tell other regions', async () => {
    const prefix = uniquePrefix();
    const options = { expirationTime: '1h', arguments: { servers: sharedServers(), prefix } } as const;
    const here = makeRegion().configure('memcached', options);
    const there = makeRegion().configure('memcached', options);
    try {
      await here.set('k', 'old');
      await sleep(5);
      here.invalidate();
      expect(await here.get('k')).to.equal(NO_VALUE);
      expect(await there.get('k'), 'another region over the same servers').to.equal('old');
    } finally {
      await Promise.all([here.close(), there.close()]);
    }
  });

  it('close() is idempotent and later operations fail clearly', async () => {
    const backend = pool.create();
    await backend.set('k', envelope('v'));
    await Promise.all([backend.close(), backend.close()]);
    let error: unknown;
    try {
      await backend.get('k');
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(DogpileCacheError);
    expect(String(error)).to.include('closed');
  });
});
