// Fencing: every acquisition gets a larger generation, and a write by a holder whose generation is
// older than one already written is refused by Redis.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { RedisBackend } from '../../../src/backends/redis/index.js';
import type { RedisMutex } from '../../../src/backends/redis/lock.js';
import { NO_VALUE } from '../../../src/values.js';
import { envelope, eventRecorder, rawClient, sharedRedisUrl, uniquePrefix } from './support.js';

const text = (value: unknown) => Buffer.from(value as Uint8Array).subarray(12).toString();

describe('redis fencing', function () {
  this.timeout(20_000);
  let raw: Redis;
  const open: RedisBackend[] = [];
  function make(prefix: string, args: Record<string, unknown> = {}): RedisBackend {
    const backend = new RedisBackend({ url: sharedRedisUrl(), prefix, ...args });
    open.push(backend);
    return backend;
  }
  const mutexOf = (backend: RedisBackend, key: string) => backend.getMutex(key) as RedisMutex;

  before(() => {
    raw = rawClient();
  });
  after(() => raw.disconnect());
  afterEach(async () => {
    await Promise.all(open.splice(0).map((backend) => backend.close()));
  });

  it('each acquisition gets a larger generation, even after the fencing record is gone', async () => {
    const prefix = uniquePrefix('generations');
    const backend = make(prefix);
    const seen: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      const mutex = mutexOf(backend, 'k');
      expect(await mutex.acquire(false)).to.equal(true);
      seen.push(BigInt(mutex.generation!));
      await mutex.release();
      if (i === 2) await raw.del(`${prefix}_lock#k`);
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]! > seen[i - 1]!, `generation ${i}`).to.equal(true);
  });

  it('a holder that lost its lease cannot overwrite the value of the holder after it', async () => {
    const prefix = uniquePrefix('stale-writer');
    const { events, sink } = eventRecorder();
    const slowBackend = make(prefix);
    slowBackend.setEventSink(sink);
    const fastBackend = make(prefix);

    const slow = mutexOf(slowBackend, 'k');
    expect(await slow.acquire(false)).to.equal(true);
    // The slow holder's lease runs out (simulated: its lock vanishes) and another caller takes over.
    await raw.del(`${prefix}_lock:k`);
    const fast = mutexOf(fastBackend, 'k');
    expect(await fast.acquire(false)).to.equal(true);
    await fastBackend.set('k', envelope('from the newer holder'));
    await fast.release();

    // The slow holder finally finishes and writes: refused, reported, not thrown.
    await slowBackend.set('k', envelope('from the stale holder'));
    await slow.release();
    expect(text(await fastBackend.get('k'))).to.equal('from the newer holder');
    const lost = events.filter((event) => event.type === 'lockLost');
    expect(lost.some((event) => event.type === 'lockLost' && /refused/.test(event.detail ?? ''))).to.equal(true);
  });

  it('writes in generation order are all accepted, and setMulti is fenced too', async () => {
    const prefix = uniquePrefix('in-order');
    const backend = make(prefix);
    for (const round of ['one', 'two']) {
      const first = mutexOf(backend, 'a');
      const second = mutexOf(backend, 'b');
      expect(await first.acquire(false)).to.equal(true);
      expect(await second.acquire(false)).to.equal(true);
      await backend.setMulti([
        ['a', envelope(`a-${round}`)],
        ['b', envelope(`b-${round}`)],
        ['unlocked', envelope(`u-${round}`)],
      ]);
      await first.release();
      await second.release();
      expect((await backend.getMulti(['a', 'b', 'unlocked'])).map(text)).to.deep.equal([`a-${round}`, `b-${round}`, `u-${round}`]);
    }
  });

  it('a fenced write keeps the value TTL and gives the fencing record one', async () => {
    const prefix = uniquePrefix('fence-ttl');
    const backend = make(prefix, { redisExpirationTime: '30s' });
    const mutex = mutexOf(backend, 'k');
    expect(await mutex.acquire(false)).to.equal(true);
    await backend.set('k', envelope('x'));
    await mutex.release();
    expect(await raw.pttl(`${prefix}k`)).to.be.greaterThan(0).and.at.most(30_000);
    expect(await raw.pttl(`${prefix}_lock#k`)).to.be.greaterThan(30_000);
  });

  it('writes by callers that hold no lock are plain writes', async () => {
    const prefix = uniquePrefix('plain');
    const backend = make(prefix);
    const mutex = mutexOf(backend, 'k');
    expect(await mutex.acquire(false)).to.equal(true);
    await backend.set('k', envelope('locked write'));
    await mutex.release();
    await backend.set('k', envelope('plain write'));
    expect(text(await backend.get('k'))).to.equal('plain write');
    await backend.delete('k');
    expect(await backend.get('k')).to.equal(NO_VALUE);
  });
});
