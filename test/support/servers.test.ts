import { expect } from 'chai';
import { Redis } from 'ioredis';
import memjs from 'memjs';
import { testServers } from './servers.js';

describe('test servers', () => {
  it('runs a Redis that answers PING', async () => {
    const { redisUrl, redisPort } = testServers();
    expect(redisPort).to.be.greaterThan(0);
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      expect(await redis.ping()).to.equal('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('runs a memcached that stores and returns a value', async () => {
    const { memcachedServers, memcachedPort } = testServers();
    expect(memcachedPort).to.be.greaterThan(0);
    const client = memjs.Client.create(memcachedServers, { retries: 0, timeout: 2, logger: { log: () => undefined } });
    try {
      const key = `servers-smoke-${process.pid}-${Date.now()}`;
      await client.set(key, 'hello', { expires: 60 });
      const { value } = await client.get(key);
      expect(value?.toString()).to.equal('hello');
    } finally {
      client.close();
    }
  });
});
