// redis-sentinel against a real sentinel watching a real master (started for this file).
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { makeRegion } from '../../../src/index.js';
import { backendConformanceSuite, mutexConformanceSuite } from '../../../src/testing/index.js';
import { RedisBackend, RedisSentinelBackend } from '../../../src/backends/redis/index.js';
import { startFailoverTopology, startSentinelTopology, type FailoverTopology, type SentinelTopology } from '../../support/redis-topologies.js';
import { envelope, eventually, uniquePrefix } from './support.js';

describe('redis-sentinel backend', function () {
  this.timeout(60_000);
  let topology: SentinelTopology | undefined;
  const prefix = uniquePrefix('sentinel');
  const args = () => ({ sentinels: topology!.sentinels, masterName: topology!.masterName, prefix });

  before(async () => {
    topology = await startSentinelTopology('dogpile-master');
  });
  after(async () => {
    await topology?.stop();
  });

  backendConformanceSuite({ backend: 'redis-sentinel', arguments: args });
  mutexConformanceSuite({ backend: 'redis-sentinel', arguments: args });

  describe('through the sentinel', () => {
    const open: Array<{ close(): Promise<void> }> = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((backend) => backend.close()));
    });

    it('writes land on the master the sentinels name', async () => {
      const backend = new RedisSentinelBackend({ ...args(), sentinels: topology!.sentinels.map(({ host, port }) => `${host}:${port}`) });
      open.push(backend);
      await backend.set('k', envelope('via sentinel'));
      const master = new Redis(topology!.master.url);
      try {
        expect((await master.getBuffer(`${prefix}k`))?.subarray(12).toString()).to.equal('via sentinel');
      } finally {
        master.disconnect();
      }
    });

    it('shares its locks with a plain redis backend on the master', async () => {
      const viaSentinel = new RedisSentinelBackend(args());
      const direct = new RedisBackend({ url: topology!.master.url, prefix });
      open.push(viaSentinel, direct);
      const held = viaSentinel.getMutex('shared')!;
      expect(await held.acquire(false)).to.equal(true);
      expect(await direct.getMutex('shared')!.acquire(false)).to.equal(false);
      await held.release();
      expect(await direct.getMutex('shared')!.locked()).to.equal(false);
    });

    it('share() and attach() rebuild the sentinel connection, also from a given client', async () => {
      const client = new Redis({ sentinels: topology!.sentinels, name: topology!.masterName });
      try {
        const backend = new RedisSentinelBackend({ client, prefix });
        await backend.set('shared', envelope('x'));
        const attached = RedisSentinelBackend.attach(structuredClone(backend.share()));
        open.push(attached);
        expect(await attached.get('shared')).to.not.have.property('noValue');
        await backend.close();
        expect(await client.ping(), 'the given client stays open').to.equal('PONG');
      } finally {
        client.disconnect();
      }
    });
  });
});

describe('redis-sentinel backend across a failover', function () {
  this.timeout(90_000);
  let topology: FailoverTopology | undefined;
  const prefix = uniquePrefix('failover');

  before(async () => {
    topology = await startFailoverTopology();
  });
  after(async () => {
    await topology?.stop();
  });

  it('after the sentinel promotes the replica, the same region reads, writes and locks on the new master', async () => {
    const region = makeRegion().configure('redis-sentinel', {
      expirationTime: '1m',
      arguments: { sentinels: topology!.sentinels, masterName: topology!.masterName, prefix },
    });
    try {
      expect(await region.getOrCreate('before', () => 'written before')).to.equal('written before');
      const master = new Redis(topology!.master.url);
      await master.wait(1, 5_000); // the replica has it before it is promoted
      master.disconnect();

      await topology!.failover();
      const promoted = new Redis(topology!.replica.url);
      try {
        expect(String(await promoted.call('ROLE')).startsWith('master')).to.equal(true);
        // The backend hears the sentinel announce the new master and moves its writes there.
        await eventually(
          async () => {
            await region.set('after', 'written after');
            return (await promoted.getBuffer(`${prefix}after`)) !== null;
          },
          30_000,
          'a write through the region on the promoted replica',
        );
      } finally {
        promoted.disconnect();
      }
      expect(await region.get('after')).to.equal('written after');
      expect(await region.get('before'), 'replicated before the failover').to.equal('written before');
      const mutex = region.getMutex('locked-after');
      expect(await mutex.acquire(false)).to.equal(true);
      expect(await region.keyIsLocked('locked-after')).to.equal(true);
      await mutex.release();
      expect(await region.keyIsLocked('locked-after')).to.equal(false);
    } finally {
      await region.close();
    }
  });
});
