// Every option of the Redis backends: validated at construction (ValidationError naming the option),
// and its default. Backends here are built with lazy clients where no server is needed.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { ValidationError } from '../../../src/errors.js';
import { RedisBackend, RedisClusterBackend, RedisSentinelBackend } from '../../../src/backends/redis/index.js';
import { effectiveRedisExpiration } from '../../../src/backends/redis/options.js';
import { sharedRedisUrl } from './support.js';

function rejects(build: () => unknown, ...fragments: string[]): void {
  let thrown: unknown;
  try {
    build();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected a ValidationError').to.be.instanceOf(ValidationError);
  for (const fragment of fragments) expect((thrown as Error).message).to.include(fragment);
}

describe('redis backend options', () => {
  const open: Array<{ close(): Promise<void> }> = [];
  const make = <T extends { close(): Promise<void> }>(backend: T): T => {
    open.push(backend);
    return backend;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((backend) => backend.close()));
  });

  it('rejects unknown options by name, listing the known ones', () => {
    rejects(() => new RedisBackend({ redis_expiration_time: 10 }), 'redis_expiration_time', 'redisExpirationTime');
    rejects(() => new RedisSentinelBackend({ url: 'redis://x' }), '"url"');
    rejects(() => new RedisClusterBackend({ db: 1 }), '"db"');
  });

  it('rejects arguments that are not an object', () => {
    rejects(() => new RedisBackend([] as unknown as Record<string, unknown>), 'options object');
  });

  it('prefix: a string, default empty', async () => {
    rejects(() => new RedisBackend({ prefix: 5 }), 'prefix');
    const backend = make(new RedisBackend({ url: sharedRedisUrl() }));
    const raw = new Redis(sharedRedisUrl());
    try {
      const key = `no-prefix-${Date.now()}`;
      await backend.set(key, new Uint8Array([0xdc]));
      expect(await raw.exists(key)).to.equal(1);
      await raw.del(key);
    } finally {
      raw.disconnect();
    }
  });

  it('redisExpirationTime: a duration or -1; default derived from the region', () => {
    rejects(() => new RedisBackend({ redisExpirationTime: 'soon' }), 'redisExpirationTime');
    rejects(() => new RedisBackend({ redisExpirationTime: 0 }), 'redisExpirationTime', 'at least 1 ms');
    expect(make(new RedisBackend({ redisExpirationTime: '2m', client: lazyClient() })).redisExpirationMs).to.equal(120_000);
    expect(make(new RedisBackend({ redisExpirationTime: -1, client: lazyClient() })).redisExpirationMs).to.equal(Infinity);

    const derived = make(new RedisBackend({ client: lazyClient() }));
    expect(derived.redisExpirationMs, 'before the region tells its expiration').to.equal(Infinity);
    derived.useRegionOptions({ expirationTimeMs: 30_000, lockTimeoutMs: 5_000 });
    expect(derived.redisExpirationMs).to.equal(90_000);
    derived.useRegionOptions({ expirationTimeMs: 3_600_000, lockTimeoutMs: 5_000 });
    expect(derived.redisExpirationMs).to.equal(7_200_000);
    derived.useRegionOptions({ expirationTimeMs: Infinity, lockTimeoutMs: 5_000 });
    expect(derived.redisExpirationMs).to.equal(Infinity);

    const explicit = make(new RedisBackend({ redisExpirationTime: '10s', client: lazyClient() }));
    explicit.useRegionOptions({ expirationTimeMs: 30_000, lockTimeoutMs: 5_000 });
    expect(explicit.redisExpirationMs, 'an explicit TTL wins over the region').to.equal(10_000);
  });

  it('the derived TTL is E + max(E, 60 s)', () => {
    expect(effectiveRedisExpiration(undefined, 1_000)).to.equal(61_000);
    expect(effectiveRedisExpiration(undefined, 0)).to.equal(60_000);
    expect(effectiveRedisExpiration(undefined, 120_000)).to.equal(240_000);
    expect(effectiveRedisExpiration(5_000, 120_000)).to.equal(5_000);
  });

  it('distributedLock: a boolean, default true', () => {
    rejects(() => new RedisBackend({ distributedLock: 'yes' }), 'distributedLock');
    expect(make(new RedisBackend({ client: lazyClient() })).getMutex('k')).to.not.equal(undefined);
    expect(make(new RedisBackend({ client: lazyClient(), distributedLock: false })).getMutex('k')).to.equal(undefined);
  });

  it('lockPrefix: 2 to 10 of [A-Za-z0-9_-.:]', () => {
    rejects(() => new RedisBackend({ lockPrefix: 'x' }), 'lockPrefix');
    rejects(() => new RedisBackend({ lockPrefix: 'has space' }), 'lockPrefix');
    rejects(() => new RedisBackend({ lockPrefix: '{tag}' }), 'lockPrefix');
    rejects(() => new RedisBackend({ lockPrefix: 'elevenchars' }), 'lockPrefix');
    make(new RedisBackend({ lockPrefix: '_lok.', client: lazyClient() }));
  });

  it('lockLease and commandTimeout: finite durations of at least 1 ms', () => {
    rejects(() => new RedisBackend({ lockLease: -1 }), 'lockLease', 'finite');
    rejects(() => new RedisBackend({ lockLease: '0ms' }), 'lockLease');
    rejects(() => new RedisBackend({ commandTimeout: 'fast' }), 'commandTimeout');
    rejects(() => new RedisBackend({ commandTimeout: -1 }), 'commandTimeout');
  });

  it('commandTimeout reaches the client it creates (default 1 s)', () => {
    const backend = make(new RedisBackend({ url: sharedRedisUrl() }));
    expect(clientOf(backend).options.commandTimeout).to.equal(1_000);
    const custom = make(new RedisBackend({ url: sharedRedisUrl(), commandTimeout: '250ms' }));
    expect(clientOf(custom).options.commandTimeout).to.equal(250);
  });

  it('url: redis:// or rediss://, wins over host and port', async () => {
    rejects(() => new RedisBackend({ url: 'http://localhost' }), 'url', 'redis://');
    rejects(() => new RedisBackend({ url: 42 }), 'url');
    const backend = make(new RedisBackend({ url: sharedRedisUrl(), host: 'nowhere.invalid', port: 1 }));
    expect(await backend.get(`missing-${Date.now()}`)).to.have.property('noValue', true);
  });

  it('host, port, db, username, password: typed and passed to the client', () => {
    rejects(() => new RedisBackend({ port: 70000 }), 'port');
    rejects(() => new RedisBackend({ port: '6379' }), 'port');
    rejects(() => new RedisBackend({ db: -1 }), 'db');
    rejects(() => new RedisBackend({ host: 1 }), 'host');
    rejects(() => new RedisBackend({ username: 1 }), 'username');
    rejects(() => new RedisBackend({ password: false }), 'password');
    const backend = make(
      new RedisBackend({ host: '127.0.0.1', port: 1, db: 3, username: 'u', password: 'p', connectionOptions: { lazyConnect: true } }),
    );
    const options = clientOf(backend).options;
    expect([options.host, options.port, options.db, options.username, options.password]).to.deep.equal(['127.0.0.1', 1, 3, 'u', 'p']);
  });

  it('tls: true, false or tls options', () => {
    rejects(() => new RedisBackend({ tls: 'on' }), 'tls');
    const backend = make(new RedisBackend({ port: 1, tls: { servername: 'cache.example' }, connectionOptions: { lazyConnect: true } }));
    expect(clientOf(backend).options.tls).to.deep.equal({ servername: 'cache.example' });
    const plain = make(new RedisBackend({ port: 1, tls: false, connectionOptions: { lazyConnect: true } }));
    expect(clientOf(plain).options.tls).to.equal(undefined);
  });

  it('connectionOptions: passed through; explicit options win over them', () => {
    rejects(() => new RedisBackend({ connectionOptions: 'fast' }), 'connectionOptions');
    const backend = make(
      new RedisBackend({ port: 1, connectionOptions: { lazyConnect: true, connectionName: 'dogpile-test', port: 2 } }),
    );
    const options = clientOf(backend).options;
    expect(options.connectionName).to.equal('dogpile-test');
    expect(options.port).to.equal(1);
    expect(options.enableAutoPipelining, 'auto-pipelining is on by default').to.equal(true);
  });

  it('client: an ioredis client, exclusive with connection options, never closed by the backend', async () => {
    rejects(() => new RedisBackend({ client: {} }), 'client');
    rejects(() => new RedisBackend({ client: lazyClient(), url: 'redis://x' }), 'client', 'url');
    const client = new Redis(sharedRedisUrl());
    try {
      const backend = new RedisBackend({ client });
      expect(await backend.get(`missing-${Date.now()}`)).to.have.property('noValue', true);
      await backend.close();
      expect(await client.ping()).to.equal('PONG');
    } finally {
      client.disconnect();
    }
  });

  it('redis-sentinel: sentinels required, masterName default mymaster', () => {
    rejects(() => new RedisSentinelBackend({}), 'sentinels is required');
    rejects(() => new RedisSentinelBackend({ sentinels: [] }), 'sentinels');
    rejects(() => new RedisSentinelBackend({ sentinels: ['localhost:notaport'] }), 'sentinels');
    rejects(() => new RedisSentinelBackend({ sentinels: [{ host: 'a' }] }), 'sentinels');
    rejects(() => new RedisSentinelBackend({ sentinels: ['a:1'], masterName: '' }), 'masterName');
    rejects(() => new RedisSentinelBackend({ sentinels: ['a:1'], sentinelPassword: 1 }), 'sentinelPassword');
    const backend = make(
      new RedisSentinelBackend({ sentinels: ['127.0.0.1:1', { host: '127.0.0.1', port: 2 }], connectionOptions: { lazyConnect: true } }),
    );
    const options = clientOf(backend).options;
    expect(options.name).to.equal('mymaster');
    expect(options.sentinels).to.deep.equal([
      { host: '127.0.0.1', port: 1 },
      { host: '127.0.0.1', port: 2 },
    ]);
    expect(options.role).to.equal('master');
  });

  it('redis-cluster: nodes required, prefix without braces, clusterOptions passed through', () => {
    rejects(() => new RedisClusterBackend({}), 'nodes is required');
    rejects(() => new RedisClusterBackend({ nodes: ['a:1'], prefix: 'app{1}:' }), 'prefix', 'hash tag');
    rejects(() => new RedisClusterBackend({ nodes: ['a:1'], clusterOptions: 3 }), 'clusterOptions');
    rejects(() => new RedisClusterBackend({ client: new Redis({ lazyConnect: true }) }), 'Cluster');
    const backend = make(
      new RedisClusterBackend({ nodes: ['redis://127.0.0.1:1'], password: 'p', clusterOptions: { lazyConnect: true, maxRedirections: 3 } }),
    );
    const client = clientOf(backend) as unknown as { options: { maxRedirections: number; enableAutoPipelining: boolean; redisOptions: { password: string; commandTimeout: number } } };
    expect(client.options.maxRedirections).to.equal(3);
    expect(client.options.enableAutoPipelining).to.equal(true);
    expect(client.options.redisOptions.password).to.equal('p');
    expect(client.options.redisOptions.commandTimeout).to.equal(1_000);
  });

  it('never changes the arguments object', () => {
    const args = Object.freeze({ port: 1, prefix: 'p:', connectionOptions: Object.freeze({ lazyConnect: true }) });
    make(new RedisBackend(args));
    expect(args).to.deep.equal({ port: 1, prefix: 'p:', connectionOptions: { lazyConnect: true } });
  });
});

function lazyClient(): Redis {
  return new Redis({ lazyConnect: true, port: 1 });
}

function clientOf(backend: object): Redis {
  return (backend as unknown as { client: Redis }).client;
}
