// The distributed lock against a real Redis: exclusivity, bounded waits, lease renewal, a lost
// lease reported (never thrown, never deleting another owner's lock), pub/sub wake-ups, closing,
// and the round trips it costs.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { RedisBackend } from '../../../src/backends/redis/index.js';
import type { RedisMutex } from '../../../src/backends/redis/lock.js';
import { ReleaseNotifications } from '../../../src/backends/redis/release-notifications.js';
import { Subscriptions } from '../../../src/backends/redis/subscriptions.js';
import { startRedis, type ServerHandle } from '../../support/servers.js';
import { eventRecorder, eventually, rawClient, sharedRedisUrl, uniquePrefix } from './support.js';

describe('redis distributed lock', function () {
  this.timeout(30_000);
  let raw: Redis;
  const open: RedisBackend[] = [];
  function make(args: Record<string, unknown> = {}): RedisBackend {
    const backend = new RedisBackend({ url: sharedRedisUrl(), prefix: uniquePrefix('lock'), ...args });
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

  it('stores the lock as <prefix><lockPrefix>:<key> with the lease as its TTL', async () => {
    const prefix = uniquePrefix('layout');
    const backend = make({ prefix, lockPrefix: '_lok.', lockLease: '20s' });
    const mutex = mutexOf(backend, 'k');
    expect(await mutex.acquire(false)).to.equal(true);
    const ttl = await raw.pttl(`${prefix}_lok.:k`);
    expect(ttl).to.be.greaterThan(0).and.at.most(20_000);
    await mutex.release();
    expect(await raw.exists(`${prefix}_lok.:k`)).to.equal(0);
  });

  it('is exclusive across backends (standing in for processes) and not re-entrant', async () => {
    const prefix = uniquePrefix('excl');
    const first = mutexOf(make({ prefix }), 'k');
    const second = mutexOf(make({ prefix }), 'k');
    expect(await first.acquire(false)).to.equal(true);
    expect(await first.acquire(false), 'a held mutex does not take itself again').to.equal(false);
    expect(await second.acquire(false)).to.equal(false);
    expect(await second.locked()).to.equal(true);
    await first.release();
    expect(await second.locked()).to.equal(false);
    expect(await second.acquire(false)).to.equal(true);
    await second.release();
  });

  it('a bounded wait resolves false, also on a lock without TTL', async () => {
    const prefix = uniquePrefix('bounded');
    const backend = make({ prefix });
    await raw.set(`${prefix}_lock:k`, 'someone-else');
    expect(await mutexOf(backend, 'k').acquire(true, 200)).to.equal(false);
    await raw.del(`${prefix}_lock:k`);
  });

  it('without a timeout, a wait is bounded by the region lock timeout', async () => {
    const prefix = uniquePrefix('default-wait');
    const backend = make({ prefix });
    backend.useRegionOptions({ expirationTimeMs: 1_000, lockTimeoutMs: 150 });
    await raw.set(`${prefix}_lock:k`, 'someone-else', 'PX', 60_000);
    expect(await mutexOf(backend, 'k').acquire(true)).to.equal(false);
  });

  it('a waiter takes the lock once the holder releases it', async () => {
    const prefix = uniquePrefix('handover');
    const holder = mutexOf(make({ prefix }), 'k');
    const waiter = mutexOf(make({ prefix }), 'k');
    expect(await holder.acquire(false)).to.equal(true);
    const waiting = waiter.acquire(true, 10_000);
    setTimeout(() => void holder.release(), 100);
    expect(await waiting).to.equal(true);
    await waiter.release();
  });

  it('a lease is renewed while held, so the lock outlives it', async () => {
    const prefix = uniquePrefix('renew');
    const holder = mutexOf(make({ prefix, lockLease: '1s' }), 'k');
    const other = mutexOf(make({ prefix }), 'k');
    expect(await holder.acquire(false)).to.equal(true);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await other.acquire(false), 'still held after two and a half leases').to.equal(false);
    await holder.release();
  });

  it('a holder that stops renewing loses the lock when its lease ends (another takes over)', async () => {
    const prefix = uniquePrefix('expire');
    const other = mutexOf(make({ prefix }), 'k');
    // A dead holder: its lock key with a short lease and nobody renewing it.
    await raw.set(`${prefix}_lock:k`, 'dead-holder', 'PX', 300);
    expect(await other.acquire(false)).to.equal(false);
    expect(await other.acquire(true, 10_000)).to.equal(true);
    await other.release();
  });

  it('a release after the lease was lost is an event, never an error, and leaves the new owner\'s lock alone', async () => {
    const prefix = uniquePrefix('lost');
    const { events, sink } = eventRecorder();
    const backend = make({ prefix });
    backend.setEventSink(sink);
    const holder = mutexOf(backend, 'k');
    expect(await holder.acquire(false)).to.equal(true);
    // The lease runs out and someone else takes the lock.
    await raw.set(`${prefix}_lock:k`, 'new-owner', 'PX', 60_000);
    await holder.release();
    expect(await raw.get(`${prefix}_lock:k`)).to.equal('new-owner');
    expect(events.some((event) => event.type === 'lockLost' && event.key === 'k')).to.equal(true);
    await raw.del(`${prefix}_lock:k`);
  });

  it('renewal notices a lost lease and reports it once', async () => {
    const prefix = uniquePrefix('renew-lost');
    const { events, sink } = eventRecorder();
    const backend = make({ prefix, lockLease: '300ms' });
    backend.setEventSink(sink);
    const holder = mutexOf(backend, 'k');
    expect(await holder.acquire(false)).to.equal(true);
    await raw.set(`${prefix}_lock:k`, 'new-owner', 'PX', 60_000);
    await eventually(() => events.some((event) => event.type === 'lockLost'), 10_000, 'lockLost');
    await holder.release();
    expect(events.filter((event) => event.type === 'lockLost')).to.have.length(1);
    expect(await raw.get(`${prefix}_lock:k`)).to.equal('new-owner');
    await raw.del(`${prefix}_lock:k`);
  });

  it('a release publishes the key on the release channel', async () => {
    const prefix = uniquePrefix('publish');
    const backend = make({ prefix });
    const subscriber = rawClient();
    try {
      const received = new Promise<[string, string]>((resolve) => subscriber.on('message', (channel, message) => resolve([channel, message])));
      await subscriber.subscribe(`${prefix}_lock!released`);
      const mutex = mutexOf(backend, 'the key');
      expect(await mutex.acquire(false)).to.equal(true);
      await mutex.release();
      expect(await received).to.deep.equal([`${prefix}_lock!released`, 'the key']);
    } finally {
      subscriber.disconnect();
    }
  });

  it('a waiter wakes on the release message, not on its poll timer', async () => {
    const prefix = uniquePrefix('wake');
    const backend = make({ prefix });
    const connection = (backend as unknown as { connection: ConstructorParameters<typeof Subscriptions>[0] }).connection;
    const subscriptions = new Subscriptions(connection, () => undefined);
    const notifications = new ReleaseNotifications(subscriptions, `${prefix}_lock!released`);
    try {
      const waiter = await notifications.register('k');
      expect(notifications.isSubscribed).to.equal(true);
      setTimeout(() => void raw.publish(`${prefix}_lock!released`, 'k'), 50);
      // Ten minutes of sleep: only the message can end it within the test's timeout.
      await waiter.sleep(600_000);
      waiter.dispose();
    } finally {
      notifications.close();
      subscriptions.close();
    }
  });

  it('close() releases the locks the backend holds and ends pending waits with false', async () => {
    const prefix = uniquePrefix('close');
    const holderBackend = make({ prefix });
    const waiterBackend = make({ prefix });
    expect(await mutexOf(holderBackend, 'k').acquire(false)).to.equal(true);
    const waiting = mutexOf(waiterBackend, 'k').acquire(true, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await waiterBackend.close();
    expect(await waiting).to.equal(false);
    await holderBackend.close();
    expect(await raw.exists(`${prefix}_lock:k`)).to.equal(0);
  });

  describe('round trips', () => {
    let server: ServerHandle;
    before(async () => {
      server = await startRedis();
    });
    after(() => server.dispose());

    /** Records the commands clients send (MONITOR), leaving out those run inside scripts. */
    async function recordCommands(url: string): Promise<{ commands: string[][]; stop(): void }> {
      const client = rawClient(url);
      const monitor = await client.monitor();
      const commands: string[][] = [];
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (source !== 'lua') commands.push(args);
      });
      return {
        commands,
        stop: () => {
          monitor.disconnect();
          client.disconnect();
        },
      };
    }

    it('one command to acquire and one to release (scripts cached after first use)', async () => {
      const backend = new RedisBackend({ url: server.url, prefix: 'rt:' });
      open.push(backend);
      const warm = mutexOf(backend, 'warm-up');
      await warm.acquire(false);
      await warm.release();
      const recording = await recordCommands(server.url);
      try {
        const mutex = mutexOf(backend, 'k');
        expect(await mutex.acquire(true, 1_000)).to.equal(true);
        await eventually(() => recording.commands.length >= 1, 5_000, 'the acquire command');
        const afterAcquire = recording.commands.length;
        await mutex.release();
        await eventually(() => recording.commands.length >= afterAcquire + 1, 5_000, 'the release command');
        await new Promise((resolve) => setTimeout(resolve, 100));
        const names = recording.commands.map((args) => args[0]!.toLowerCase());
        expect(afterAcquire, `acquire sent ${names.slice(0, afterAcquire).join(', ')}`).to.equal(1);
        expect(names, 'acquire then release').to.deep.equal(['evalsha', 'evalsha']);
      } finally {
        recording.stop();
      }
    });
  });
});
