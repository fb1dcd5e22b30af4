// redis-sentinel against a real sentinel watching a real master (started for this file).
import { expect } from 'chai';
import { Redis } from 'ioredis';
import '../../../src/index.js';
import { backendConformanceSuite, mutexConformanceSuite } from '../../../src/testing/index.js';
import { RedisBackend, RedisSentinelBackend } from '../../../src/backends/redis/index.js';
import { startSentinelTopology, type SentinelTopology } from '../../support/redis-topologies.js';
import { envelope, uniquePrefix } from './support.js';

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
