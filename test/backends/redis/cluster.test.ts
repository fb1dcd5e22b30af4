// redis-cluster against a real 3-master cluster (started for this file): the shared suites, slot
// co-location of a key with its lock and fencing record, multi-key operations across slots, and
// lock wake-ups across nodes.
import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import { makeRegion } from '../../../src/index.js';
import { backendConformanceSuite, mutexConformanceSuite } from '../../../src/testing/index.js';
import { RedisClusterBackend } from '../../../src/backends/redis/index.js';
import { HashTaggedKeyLayout, hashSlot, hashTagOf } from '../../../src/backends/redis/keys.js';
import type { RedisMutex } from '../../../src/backends/redis/lock.js';
import { ReleaseNotifications } from '../../../src/backends/redis/release-notifications.js';
import { Subscriptions } from '../../../src/backends/redis/subscriptions.js';
import { NO_VALUE } from '../../../src/values.js';
import { startClusterTopology, type ClusterTopology } from '../../support/redis-topologies.js';
import { envelope, eventRecorder, eventually, uniquePrefix } from './support.js';

const text = (value: unknown) => Buffer.from(value as Uint8Array).subarray(12).toString();

describe('redis-cluster backend', function () {
  this.timeout(60_000);
  let topology: ClusterTopology | undefined;
  const prefix = uniquePrefix('cluster');
  const args = () => ({ nodes: topology!.nodes, prefix });

  before(async () => {
    topology = await startClusterTopology();
  });
  after(async () => {
    await topology?.stop();
  });

  backendConformanceSuite({ backend: 'redis-cluster', arguments: args });
  mutexConformanceSuite({ backend: 'redis-cluster', arguments: args });

  describe('on the cluster', () => {
    const open: Array<{ close(): Promise<void> }> = [];
    let node: Redis;
    before(() => {
      node = new Redis(topology!.nodes[0]!.port, '127.0.0.1');
    });
    after(() => node.disconnect());
    afterEach(async () => {
      await Promise.all(open.splice(0).map((backend) => backend.close()));
    });
    function make(extra: Record<string, unknown> = {}): RedisClusterBackend {
      const backend = new RedisClusterBackend({ ...args(), ...extra });
      open.push(backend);
      return backend;
    }

    it('a key, its lock and its fencing record are in one slot, the one the backend computes', async () => {
      const layout = new HashTaggedKeyLayout(prefix, '_lock');
      for (const key of ['a', 'user:{42}:profile', '', 'ключ with spaces', '{}', 'x'.repeat(300)]) {
        const slots = await Promise.all(
          [layout.dataKey(key), layout.lockKey(key), layout.fenceKey(key)].map((name) => node.cluster('KEYSLOT', name)),
        );
        expect(new Set(slots).size, key).to.equal(1);
        expect(slots[0], key).to.equal(hashSlot(hashTagOf(key)));
      }
    });

    it('getMulti, setMulti and deleteMulti span slots on every node', async () => {
      const backend = make({ redisExpirationTime: '1m' });
      const keys = Array.from({ length: 60 }, (_, i) => `multi-${i}`);
      const nodesUsed = new Set(
        await Promise.all(keys.map(async (key) => {
          const slot = hashSlot(hashTagOf(key));
          const shards = (await node.cluster('SHARDS')) as unknown[];
          return shards.findIndex((shard) => {
            const fields = shard as unknown[];
            const ranges = fields[fields.indexOf('slots') + 1] as number[];
            for (let i = 0; i < ranges.length; i += 2) if (slot >= ranges[i]! && slot <= ranges[i + 1]!) return true;
            return false;
          });
        })),
      );
      expect(nodesUsed.size, 'the keys live on all three masters').to.equal(3);
      await backend.setMulti(keys.filter((_, i) => i % 3 !== 0).map((key) => [key, envelope(key)] as const));
      const values = await backend.getMulti(keys);
      keys.forEach((key, i) => {
        if (i % 3 === 0) expect(values[i]).to.equal(NO_VALUE);
        else expect(text(values[i])).to.equal(key);
      });
      await backend.deleteMulti(keys);
      expect((await backend.getMulti(keys)).every((value) => value === NO_VALUE)).to.equal(true);
    });

    it('keys with a shared hash tag form one slot group (one MGET) and come back aligned', async () => {
      const backend = make();
      const keys = ['order:{7}:a', 'order:{7}:b', 'order:{7}:c'];
      expect(new HashTaggedKeyLayout(prefix, '_lock').groupForMultiKey(keys)).to.have.length(1);
      await backend.setMulti(keys.map((key) => [key, envelope(key)] as const));
      expect((await backend.getMulti(keys)).map(text)).to.deep.equal(keys);
    });

    it('fenced writes work on a cluster (the script\'s two keys share a slot) and refuse a stale holder', async () => {
      const { events, sink } = eventRecorder();
      const slowBackend = make();
      slowBackend.setEventSink(sink);
      const fastBackend = make();
      const slow = slowBackend.getMutex('fenced') as RedisMutex;
      expect(await slow.acquire(false)).to.equal(true);
      const lockKey = new HashTaggedKeyLayout(prefix, '_lock').lockKey('fenced');
      const cluster = new Cluster(topology!.nodes);
      try {
        await cluster.del(lockKey);
      } finally {
        cluster.disconnect();
      }
      const fast = fastBackend.getMutex('fenced') as RedisMutex;
      expect(await fast.acquire(false)).to.equal(true);
      await fastBackend.set('fenced', envelope('newer'));
      await fast.release();
      await slowBackend.set('fenced', envelope('stale'));
      await slow.release();
      expect(text(await fastBackend.get('fenced'))).to.equal('newer');
      expect(events.some((event) => event.type === 'lockLost')).to.equal(true);
    });

    it('a waiter wakes when a lock on another node is released', async () => {
      const holderBackend = make();
      const waiterBackend = make({ lockLease: '60s' });
      // Keys on different slots, hence (most likely) different nodes from the subscriber's.
      for (const key of ['wake-a', 'wake-b', 'wake-c']) {
        const holder = holderBackend.getMutex(key)!;
        expect(await holder.acquire(false)).to.equal(true);
        const waiting = waiterBackend.getMutex(key)!.acquire(true, 30_000);
        setTimeout(() => void holder.release(), 100);
        expect(await waiting).to.equal(true);
      }
    });

    it('release messages published on any node reach the subscriber', async () => {
      const backend = make();
      const connection = (backend as unknown as { connection: ConstructorParameters<typeof Subscriptions>[0] }).connection;
      const subscriptions = new Subscriptions(connection, () => undefined);
      const channel = `${prefix}_lock!released`;
      const notifications = new ReleaseNotifications(subscriptions, channel);
      try {
        for (const address of topology!.nodes) {
          const waiter = await notifications.register('k');
          expect(notifications.isSubscribed).to.equal(true);
          const publisher = new Redis(address.port, address.host);
          try {
            setTimeout(() => void publisher.publish(channel, 'k'), 50);
            // Only the message can end a ten-minute sleep within the test's timeout.
            await waiter.sleep(600_000);
          } finally {
            waiter.dispose();
            publisher.disconnect();
          }
        }
      } finally {
        notifications.close();
        subscriptions.close();
      }
    });

    it('share() and attach() rebuild the cluster connection, also from a given client', async () => {
      const client = new Cluster(topology!.nodes);
      try {
        const backend = new RedisClusterBackend({ client, prefix });
        await backend.set('shared', envelope('x'));
        const attached = RedisClusterBackend.attach(structuredClone(backend.share()));
        open.push(attached);
        expect(text(await attached.get('shared'))).to.equal('x');
        await backend.close();
        expect(await client.get('anything'), 'the given client stays open').to.equal(null);
      } finally {
        client.disconnect();
      }
    });
  });
});

describe('redis-cluster backend when a node fails', function () {
  this.timeout(90_000);
  let topology: ClusterTopology | undefined;
  const prefix = uniquePrefix('cluster-fault');

  before(async () => {
    topology = await startClusterTopology();
  });
  after(async () => {
    await topology?.stop();
  });

  /** A hash tag whose slot the server on `port` owns (or, with `owned` false, another server owns). */
  async function tagServedBy(port: number, owned: boolean): Promise<string> {
    const client = new Redis(port, '127.0.0.1');
    try {
      const ranges = (await client.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
      for (let i = 0; ; i++) {
        const slot = hashSlot(`t${i}`);
        const owner = ranges.find(([start, end]) => slot >= start && slot <= end)![2][1];
        if ((owner === port) === owned) return `t${i}`;
      }
    } finally {
      client.disconnect();
    }
  }

  it('keys on a stopped node fail open (creators run, errors counted); once it is back, the same region uses it again', async () => {
    const victim = topology!.servers[2]!;
    const [down, up] = [`{${await tagServedBy(victim.port, true)}}key`, `{${await tagServedBy(victim.port, false)}}key`];
    const region = makeRegion().configure('redis-cluster', { expirationTime: '1m', arguments: { nodes: topology!.nodes, prefix, commandTimeout: 1_000 } });
    try {
      await region.set(down, 'before');
      await region.set(up, 'kept');
      await victim.stop();
      const errorsBefore = region.stats().backendErrors;
      expect(await region.getOrCreate(down, () => 'made while the node is down')).to.equal('made while the node is down');
      expect(region.stats().backendErrors, 'the failures are counted').to.be.greaterThan(errorsBefore);

      await victim.restart();
      // The node comes back empty (no persistence) and rejoins the cluster; the region needs no rebuild.
      await eventually(
        async () => {
          await region.set(down, 'after');
          return (await region.get(down)) === 'after';
        },
        30_000,
        'the restarted node to serve its slots again',
      );
      // Each node leaves its "cluster down" state on its own once it sees the node back.
      await eventually(async () => (await region.get(up)) === 'kept', 30_000, 'the other nodes to serve their kept keys');
      const mutex = region.getMutex(down);
      expect(await mutex.acquire(false)).to.equal(true);
      await mutex.release();
    } finally {
      await region.close();
    }
  });
});

