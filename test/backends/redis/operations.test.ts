// Reads, writes and deletes against the run's real Redis: bytes round-trip, the store-level TTL
// is applied, prefixes keep regions apart, multi operations are aligned, share/attach works.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { NO_VALUE } from '../../../src/values.js';
import { RedisBackend } from '../../../src/backends/redis/index.js';
import { envelope, eventRecorder, rawClient, sharedRedisUrl, uniquePrefix } from './support.js';

describe('redis backend operations', () => {
  let raw: Redis;
  const open: RedisBackend[] = [];
  function make(args: Record<string, unknown> = {}): RedisBackend {
    const backend = new RedisBackend({ url: sharedRedisUrl(), prefix: uniquePrefix('ops'), ...args });
    open.push(backend);
    return backend;
  }

  before(() => {
    raw = rawClient();
  });
  after(() => raw.disconnect());
  afterEach(async () => {
    await Promise.all(open.splice(0).map((backend) => backend.close()));
  });

  it('is a serialized backend: envelope bytes in, the same bytes out', async () => {
    const backend = make();
    expect(backend.serialized).to.equal(true);
    const bytes = envelope('hello');
    await backend.set('k', bytes);
    const read = await backend.get('k');
    expect(Buffer.from(read as Uint8Array).equals(Buffer.from(bytes))).to.equal(true);
  });

  it('a missing key is NO_VALUE; delete is idempotent', async () => {
    const backend = make();
    expect(await backend.get('absent')).to.equal(NO_VALUE);
    await backend.delete('absent');
    await backend.set('k', envelope('x'));
    await backend.delete('k');
    await backend.delete('k');
    expect(await backend.get('k')).to.equal(NO_VALUE);
  });

  it('stores under <prefix><key>, so two prefixes on one Redis never collide', async () => {
    const first = make({ prefix: uniquePrefix('a') });
    const second = make({ prefix: uniquePrefix('b') });
    await first.set('same', envelope('first'));
    await second.set('same', envelope('second'));
    expect(Buffer.from((await first.get('same')) as Uint8Array).subarray(12).toString()).to.equal('first');
    expect(Buffer.from((await second.get('same')) as Uint8Array).subarray(12).toString()).to.equal('second');
    await first.delete('same');
    expect(await second.get('same')).to.not.equal(NO_VALUE);
  });

  it('writes with the explicit redisExpirationTime', async () => {
    const prefix = uniquePrefix('ttl');
    const backend = make({ prefix, redisExpirationTime: '5s' });
    await backend.set('k', envelope('x'));
    const ttl = await raw.pttl(`${prefix}k`);
    expect(ttl).to.be.greaterThan(0).and.at.most(5_000);
  });

  it('writes with E + max(E, 60s) once the region told its expiration time E, and without TTL for never', async () => {
    const prefix = uniquePrefix('ttl');
    const backend = make({ prefix });
    backend.useRegionOptions({ expirationTimeMs: 30_000, lockTimeoutMs: 1_000 });
    await backend.set('k', envelope('x'));
    expect(await raw.pttl(`${prefix}k`)).to.be.greaterThan(60_000).and.at.most(90_000);

    backend.useRegionOptions({ expirationTimeMs: Infinity, lockTimeoutMs: 1_000 });
    await backend.set('k2', envelope('x'));
    expect(await raw.pttl(`${prefix}k2`)).to.equal(-1);
  });

  it('a value whose Redis TTL ran out is gone', async () => {
    const backend = make({ redisExpirationTime: '50ms' });
    await backend.set('k', envelope('x'));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await backend.get('k')).to.equal(NO_VALUE);
  });

  it('getMulti (MGET) answers aligned with the keys; setMulti and deleteMulti cover every key', async () => {
    const prefix = uniquePrefix('multi');
    const backend = make({ prefix, redisExpirationTime: '1m' });
    expect(await backend.getMulti([])).to.deep.equal([]);
    await backend.setMulti([]);
    await backend.deleteMulti([]);
    const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`);
    await backend.setMulti(keys.filter((_, i) => i % 2 === 0).map((key) => [key, envelope(key)] as const));
    const values = await backend.getMulti(keys);
    keys.forEach((key, i) => {
      if (i % 2 === 0) expect(Buffer.from(values[i] as Uint8Array).subarray(12).toString()).to.equal(key);
      else expect(values[i]).to.equal(NO_VALUE);
    });
    expect(await raw.pttl(`${prefix}key-0`), 'setMulti applies the TTL').to.be.greaterThan(0).and.at.most(60_000);
    await backend.deleteMulti(keys);
    expect((await backend.getMulti(keys)).every((value) => value === NO_VALUE)).to.equal(true);
  });

  it('db selects the database', async () => {
    const url = new URL(sharedRedisUrl());
    const prefix = uniquePrefix('db');
    const backend = make({ url: undefined, host: url.hostname, port: Number(url.port), db: 2, prefix });
    await backend.set('k', envelope('x'));
    expect(await raw.exists(`${prefix}k`), 'not in db 0').to.equal(0);
    const inDb2 = rawClient(`${sharedRedisUrl()}/2`);
    try {
      expect(await inDb2.exists(`${prefix}k`)).to.equal(1);
      await inDb2.del(`${prefix}k`);
    } finally {
      inDb2.disconnect();
    }
  });

  it('connectionOptions reach the server (connectionName shows in CLIENT LIST)', async () => {
    const name = `dogpile-ops-${process.pid}`;
    const backend = make({ connectionOptions: { connectionName: name } });
    await backend.get('k');
    expect(String(await raw.call('CLIENT', 'LIST'))).to.include(`name=${name}`);
  });

  it('storing a CachedValue object is a TypeError naming the serialized contract', async () => {
    const backend = make();
    let thrown: unknown;
    try {
      await backend.set('k', { payload: 1, metadata: { ct: 0, v: 2 } } as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(TypeError);
  });

  it('share() gives a structured-cloneable handle; attach() builds a backend over the same data', async () => {
    const backend = make({ redisExpirationTime: '1m', connectionOptions: { retryStrategy: () => 10 } });
    await backend.set('shared', envelope('across'));
    const handle = structuredClone(backend.share());
    const attached = RedisBackend.attach(handle);
    open.push(attached);
    expect(Buffer.from((await attached.get('shared')) as Uint8Array).subarray(12).toString()).to.equal('across');
    expect(attached.redisExpirationMs).to.equal(60_000);
    expect(() => RedisBackend.attach({ backend: 'memcached', options: {} })).to.throw(/share\(\)/);
  });

  it('share() of a backend over a given client rebuilds the connection from the client', async () => {
    const client = rawClient();
    try {
      const backend = new RedisBackend({ client, prefix: uniquePrefix('client') });
      await backend.set('k', envelope('via client'));
      const attached = RedisBackend.attach(structuredClone(backend.share()));
      open.push(attached);
      expect(await attached.get('k')).to.not.equal(NO_VALUE);
      await backend.close();
    } finally {
      client.disconnect();
    }
  });

  it('close() closes the client it made; later operations fail with BackendUnavailableError', async () => {
    const { events, sink } = eventRecorder();
    const backend = make();
    backend.setEventSink(sink);
    await backend.get('k');
    await backend.close();
    let thrown: unknown;
    try {
      await backend.get('k');
    } catch (error) {
      thrown = error;
    }
    expect((thrown as Error).name).to.equal('BackendUnavailableError');
    expect(events.filter((event) => event.type === 'backendError'), 'a deliberate close is not an outage').to.deep.equal([]);
  });
});
