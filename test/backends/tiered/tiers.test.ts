// What the chain does with values: reads take the nearest fresh value and copy it nearer, writes
// reach every tier, invalidation goes through the widest tier, a failing tier is skipped.
import { expect } from 'chai';
import { BackendUnavailableError, CachedValue, NO_VALUE, PluginNotFound, ValidationError, VALUE_VERSION, makeRegion, registerBackend, type CacheRegion } from '../../../src/index.js';
import { MemoryBackend, TieredBackend } from '../../../src/index.js';
import { encodeEnvelope, msgpackSerializer } from '../../../src/serialization/index.js';
import { freshDir, removeTempDirs } from '../lmdb/support.js';
import { sharedRedisUrl, uniquePrefix } from '../redis/support.js';

after(removeTempDirs);

const entry = (payload: unknown, createdAt: number) => encodeEnvelope(createdAt, msgpackSerializer(payload));

describe('tiered: options', () => {
  const configure = (args: Record<string, unknown>) => () => makeRegion().configure('tiered', { arguments: args });

  it('tiers must be an array of at least two tiers, each { backend, arguments }', () => {
    expect(configure({})).to.throw(ValidationError, /tiers must be an array of at least two/);
    expect(configure({ tiers: [{ backend: 'memory' }] })).to.throw(ValidationError, /at least two/);
    expect(configure({ tiers: [{ backend: 'memory' }, 'redis'] })).to.throw(ValidationError, /tiers\[1\] must be a \{ backend, arguments \} object/);
    expect(configure({ tiers: [{ backend: 'memory' }, { backend: 'memory', args: {} }] })).to.throw(ValidationError, /tiers\[1\]: unknown field "args"/);
    expect(configure({ tiers: [{ backend: 'memory' }, { backend: 'memory', arguments: 3 }] })).to.throw(ValidationError, /tiers\[1\]\.arguments must be an object/);
    expect(configure({ tiers: [{ backend: 'memory' }, { backend: 42 }] })).to.throw(ValidationError, /tiers\[1\]\.backend must be a backend name or class/);
    expect(configure({ tiers: [{ backend: 'memory' }, { backend: 'memory' }], backfill: true })).to.throw(ValidationError, /unknown option "backfill"/);
  });

  it('names an unknown tier backend, refuses nesting and async loaders', () => {
    expect(configure({ tiers: [{ backend: 'memory' }, { backend: 'no-such' }] })).to.throw(PluginNotFound, /no-such/);
    expect(configure({ tiers: [{ backend: 'memory' }, { backend: 'tiered' }] })).to.throw(ValidationError, /cannot itself be tiered/);
    registerBackend('tiered-test-loaded', async () => MemoryBackend);
    expect(configure({ tiers: [{ backend: 'memory' }, { backend: 'tiered-test-loaded' }] })).to.throw(ValidationError, /async loader; register its class/);
  });

  it('a tier may be given as a class; a tier’s own bad arguments fail at configure time', async () => {
    const region = makeRegion().configure('tiered', { arguments: { tiers: [{ backend: MemoryBackend }, { backend: 'memory-serialized' }] } });
    await region.set('k', 1);
    expect(await region.get('k')).to.equal(1);
    await region.close();
    expect(configure({ tiers: [{ backend: 'memory' }, { backend: 'memory', arguments: { maxEntries: -3 } }] })).to.throw(ValidationError, /maxEntries/);
  });

  it('the arguments object is never mutated', () => {
    const args = { tiers: [{ backend: 'memory', arguments: { maxEntries: 10 } }, { backend: 'memory-serialized' }] };
    const copy = structuredClone(args);
    makeRegion().configure('tiered', { arguments: args });
    expect(args).to.deep.equal(copy);
  });
});

describe('tiered: values across tiers', function () {
  this.timeout(20_000);
  const regions: CacheRegion[] = [];
  afterEach(async () => {
    await Promise.all(regions.splice(0).map((region) => region.close()));
  });
  const onHost = (path: string): CacheRegion => {
    const region = makeRegion().configure('tiered', {
      expirationTime: '1m',
      arguments: { tiers: [{ backend: 'shared-memory' }, { backend: 'lmdb', arguments: { path } }] },
    });
    regions.push(region);
    return region;
  };
  const tiersOf = (region: CacheRegion) => (region.actualBackend as TieredBackend).tierBackends;

  it('a set reaches every tier; a delete removes it from every tier', async () => {
    const region = onHost(freshDir());
    await region.set('k', { n: 1 });
    const [shm, lmdb] = tiersOf(region);
    expect(shm!.getSync!('k')).to.be.instanceOf(CachedValue);
    expect(lmdb!.getSync!('k')).to.be.instanceOf(Uint8Array);
    await region.delete('k');
    expect(shm!.getSync!('k')).to.equal(NO_VALUE);
    expect(lmdb!.getSync!('k')).to.equal(NO_VALUE);
  });

  it('a value only further out is found and copied into the nearer tiers', async () => {
    const path = freshDir();
    const region = onHost(path);
    const [shm, lmdb] = tiersOf(region);
    lmdb!.setSync!('far', entry('from lmdb', Date.now()));
    expect(shm!.getSync!('far')).to.equal(NO_VALUE);
    expect(await region.get('far')).to.equal('from lmdb');
    expect((shm!.getSync!('far') as CachedValue).payload).to.equal('from lmdb');
    expect(region.getSync('far'), 'the sync path too').to.equal('from lmdb');
  });

  it('a nearer value past the expiration time gives way to a fresher one further out, which replaces it', async () => {
    const region = onHost(freshDir());
    const [shm, lmdb] = tiersOf(region);
    shm!.setSync!('k', new CachedValue('old', { ct: Date.now() - 120_000, v: VALUE_VERSION }));
    lmdb!.setSync!('k', entry('new', Date.now()));
    expect(region.getSync('k')).to.equal('new');
    expect((shm!.getSync!('k') as CachedValue).payload).to.equal('new');
  });

  it('when every tier holds an expired value, the newest of them is served stale by getOrCreate while one creator runs', async () => {
    const region = onHost(freshDir());
    const [shm, lmdb] = tiersOf(region);
    // Both past the 1 min expiration, both within lmdb's default maxAge (2 min here).
    shm!.setSync!('k', new CachedValue('older', { ct: Date.now() - 100_000, v: VALUE_VERSION }));
    lmdb!.setSync!('k', entry('newer', Date.now() - 80_000));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const creator = async () => {
      await gate;
      return 'fresh';
    };
    const first = region.getOrCreate('k', creator);
    const others = await Promise.all([region.getOrCreate('k', creator), region.getOrCreate('k', creator)]);
    expect(others).to.deep.equal(['newer', 'newer']);
    release();
    expect(await first).to.equal('fresh');
    expect(region.getSync('k')).to.equal('fresh');
  });

  it('two hosts (own shared memory and lmdb, one Redis): invalidate() on one reaches the other, whose nearer tiers still hold the value', async () => {
    const prefix = uniquePrefix('tiered-invalidate');
    const host = () => {
      const region = makeRegion().configure('tiered', {
        expirationTime: '1m',
        arguments: { tiers: [{ backend: 'shared-memory' }, { backend: 'lmdb', arguments: { path: freshDir() } }, { backend: 'redis', arguments: { url: sharedRedisUrl(), prefix } }] },
      });
      regions.push(region);
      return region;
    };
    const [a, b] = [host(), host()];
    expect(await a.getOrCreate('k', () => 'first')).to.equal('first');
    expect(await b.get('k'), 'b reads it from Redis').to.equal('first');
    await new Promise((resolve) => setTimeout(resolve, 5));
    a.invalidate();
    // The invalidation travels by Redis pub/sub: b sees it within moments.
    const deadline = Date.now() + 5_000;
    while ((await b.get('k')) !== NO_VALUE && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await b.get('k')).to.equal(NO_VALUE);
    expect(await b.getOrCreate('k', () => 'second')).to.equal('second');
    expect(await a.get('k'), 'a finds b’s new value further out').to.equal('second');
  });

  it('bytes that are not an entry: one deserializeError event however many tiers hold them; a good copy further out repairs the nearer tier', async () => {
    const region = makeRegion().configure('tiered', {
      expirationTime: '1m',
      arguments: { tiers: [{ backend: 'lmdb', arguments: { path: freshDir() } }, { backend: 'file', arguments: { directory: freshDir('tiered-file') } }] },
    });
    regions.push(region);
    const [near, far] = tiersOf(region);
    const events: unknown[] = [];
    region.on('deserializeError', (event) => events.push(event));
    const garbage = new Uint8Array([1, 2, 3, 4, 5]);
    near!.setSync!('both', garbage);
    far!.setSync!('both', garbage);
    expect(region.getSync('both')).to.equal(NO_VALUE);
    expect(events).to.have.length(1);

    near!.setSync!('near-only', garbage);
    far!.setSync!('near-only', entry('good', Date.now()));
    expect(region.getSync('near-only')).to.equal('good');
    expect(events).to.have.length(2);
    expect(region.getSync('near-only')).to.equal('good');
    expect(events, 'the nearer tier now holds the good copy').to.have.length(2);
  });

  it('a tier that fails is skipped and reported: reads and writes carry on with the others', async () => {
    class BrokenTier extends MemoryBackend {
      override get(): never {
        throw new Error('tier down');
      }
      override set(): never {
        throw new Error('tier down');
      }
    }
    const region = makeRegion().configure('tiered', { arguments: { tiers: [{ backend: BrokenTier }, { backend: 'memory-serialized' }] } });
    regions.push(region);
    const errors: Array<{ operation: string }> = [];
    region.on('backendError', (event) => errors.push(event as { operation: string }));
    await region.set('k', 'kept');
    expect(await region.get('k')).to.equal('kept');
    expect(errors.map((error) => error.operation)).to.include.members(['tiered set', 'tiered get']);
  });

  it('when every tier fails, the region treats it as it would one backend: unreachable is a counted miss, anything else is thrown', async () => {
    let failure: Error = new BackendUnavailableError('tier unreachable');
    class BrokenTier extends MemoryBackend {
      override get(): never {
        throw failure;
      }
    }
    const region = makeRegion().configure('tiered', { arguments: { tiers: [{ backend: BrokenTier }, { backend: BrokenTier }] } });
    regions.push(region);
    expect(await region.get('k')).to.equal(NO_VALUE);
    expect(region.stats().backendErrors, 'counted once, by the region').to.equal(1);
    failure = new TypeError('a bug in a tier');
    let thrown: unknown;
    await region.get('k').catch((error: unknown) => (thrown = error));
    expect(thrown).to.equal(failure);
  });

  it('share() needs every tier to be shareable, and names the one that is not; attach() checks its handle', () => {
    const region = makeRegion().configure('tiered', { arguments: { tiers: [{ backend: 'memory' }, { backend: 'shared-memory' }] } });
    regions.push(region);
    expect(() => region.share()).to.throw(/its "memory" tier cannot be shared/);
    expect(() => TieredBackend.attach({ tiers: [] })).to.throw(ValidationError, /handle returned by share\(\)/);
  });

  it('sync methods exist only when every tier answers synchronously', () => {
    const onHostRegion = onHost(freshDir());
    expect(onHostRegion.supportsSync).to.equal(true);
    const withRedis = makeRegion().configure('tiered', {
      arguments: { tiers: [{ backend: 'memory' }, { backend: 'redis', arguments: { url: sharedRedisUrl(), prefix: uniquePrefix('tiered-sync') } }] },
    });
    regions.push(withRedis);
    expect(withRedis.supportsSync).to.equal(false);
    expect(() => withRedis.getSync('k')).to.throw(TypeError, /tiered/);
  });
});
