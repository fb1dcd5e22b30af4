import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { BackendArguments, CacheBackendClass } from '../backends/api.js';
import { isBackendClass, lookupBackend } from '../backends/registry.js';
import { CantDeserializeError, RegionNotConfigured } from '../errors.js';
import type { ConfigureOptions, RegionOptions } from '../region/options.js';
import { CacheRegion } from '../region/region.js';
import { sleep } from '../time.js';
import { NO_VALUE } from '../values.js';

/** How a conformance suite builds regions over the backend under test. */
export interface SuiteOptions {
  /** Registered backend name. */
  backend: string;
  /** Suite title suffix, to tell apart runs of one backend with different arguments. */
  label?: string;
  /** Fresh backend arguments for each region (a new temp directory, a server URL, ...). */
  arguments?: () => BackendArguments | Promise<BackendArguments>;
  /** More `configure()` options for every region (`wrap`, `lockTimeout`, ...). */
  configure?: Omit<ConfigureOptions, 'arguments' | 'expirationTime'>;
  /** More `makeRegion()` options for every region. */
  region?: RegionOptions;
  /** Runs after each test (e.g. remove a temp directory). */
  after?: () => void | Promise<void>;
  /**
   * Milliseconds of slack a backend needs on store-level expiry (memcached TTLs are whole
   * seconds). Default 0.
   */
  expirySlackMs?: number;
}

/** A region factory shared by the suites; regions are closed after each test. */
export class SuiteRegions {
  private readonly open: CacheRegion[] = [];
  readonly prefix = `conformance-${randomBytes(4).toString('hex')}-`;

  constructor(private readonly options: SuiteOptions) {}

  async make(configure: Omit<ConfigureOptions, 'arguments'> = {}, region: RegionOptions = {}): Promise<CacheRegion> {
    const args = (await this.options.arguments?.()) ?? {};
    const made = new CacheRegion({ ...this.options.region, ...region }).configure(this.options.backend, {
      ...this.options.configure,
      ...configure,
      arguments: args,
    });
    await made.ready;
    this.open.push(made);
    return made;
  }

  key(name: string): string {
    return `${this.prefix}${name}-${randomBytes(3).toString('hex')}`;
  }

  async closeAll(): Promise<void> {
    const regions = this.open.splice(0);
    await Promise.all(regions.map((region) => region.close()));
    await this.options.after?.();
  }
}

function suiteTitle(kind: string, options: SuiteOptions): string {
  return `${kind}: ${options.backend}${options.label ? ` (${options.label})` : ''}`;
}

const jsonSerializer = (payload: unknown): Uint8Array => Buffer.from(JSON.stringify(payload));
const jsonDeserializer = (bytes: Uint8Array): unknown => JSON.parse(Buffer.from(bytes).toString('utf8'));

/**
 * The behaviour every backend must show through the region API: storage round trips, multi
 * operations, expiry, invalidation, the dogpile lock on a cold key, creator errors, serializers,
 * undecodable entries and `close()`. Call it inside a mocha (or compatible) test file.
 */
export function backendConformanceSuite(options: SuiteOptions): void {
  describe(suiteTitle('backend conformance', options), function () {
    this.timeout(30_000);
    const regions = new SuiteRegions(options);
    afterEach(() => regions.closeAll());

    it('a missing key is NO_VALUE at the backend and through the region', async () => {
      const region = await regions.make();
      const key = regions.key('missing');
      assert.equal(await region.backend.get(key), NO_VALUE);
      assert.equal(await region.get(key), NO_VALUE);
    });

    it('deleting a missing key is not an error, twice', async () => {
      const region = await regions.make();
      const key = regions.key('delete');
      await region.backend.delete(key);
      await region.delete(key);
      await region.delete(key);
      assert.equal(await region.get(key), NO_VALUE);
    });

    it('round-trips values of every common shape', async () => {
      const region = await regions.make();
      const values: unknown[] = [
        'text',
        '',
        'ünïcødé ✓ 漢字',
        0,
        -1.5,
        Number.MAX_SAFE_INTEGER,
        true,
        false,
        null,
        [1, 'two', [3]],
        { nested: { list: [1, 2, 3], flag: false, none: null } },
        new Date(1_700_000_000_000),
        'x'.repeat(100_000),
      ];
      for (const [index, value] of values.entries()) {
        const key = regions.key(`shape-${index}`);
        await region.set(key, value);
        assert.deepEqual(await region.get(key), value, `value #${index}`);
      }
    });

    it('keeps a cached null apart from NO_VALUE', async () => {
      const region = await regions.make();
      const key = regions.key('null');
      await region.set(key, null);
      assert.equal(await region.get(key), null);
      let calls = 0;
      assert.equal(await region.getOrCreate(key, () => ++calls), null);
      assert.equal(calls, 0);
    });

    it('accepts keys with spaces, unicode and 300 characters', async () => {
      const region = await regions.make();
      for (const key of [regions.key('with space'), regions.key('ключ-鍵'), regions.key('long-' + 'k'.repeat(300))]) {
        await region.set(key, key.length);
        assert.equal(await region.get(key), key.length);
        await region.delete(key);
        assert.equal(await region.get(key), NO_VALUE);
      }
    });

    it('setMulti (Map and object), getMulti aligned with NO_VALUE, deleteMulti', async () => {
      const region = await regions.make();
      const [a, b, c, d] = [regions.key('a'), regions.key('b'), regions.key('c'), regions.key('d')];
      await region.setMulti(new Map([[a, 1], [b, 2]]));
      await region.setMulti({ [c]: 3 });
      assert.deepEqual(await region.getMulti([a, d, b, c, d]), [1, NO_VALUE, 2, 3, NO_VALUE]);
      await region.deleteMulti([b, d]);
      assert.deepEqual(await region.getMulti([a, b, c]), [1, NO_VALUE, 3]);
      assert.deepEqual(await region.getMulti([]), []);
      await region.setMulti({});
      await region.deleteMulti([]);
    });

    it('getOrCreate creates once, then serves the cached value', async () => {
      const region = await regions.make({ expirationTime: '1m' });
      const key = regions.key('goc');
      let calls = 0;
      assert.equal(await region.getOrCreate(key, () => `v${++calls}`), 'v1');
      assert.equal(await region.getOrCreate(key, () => `v${++calls}`), 'v1');
      assert.equal(calls, 1);
      assert.equal(await region.get(key), 'v1');
    });

    it('getOrCreate passes creatorArgs and honours shouldCacheFn', async () => {
      const region = await regions.make();
      const key = regions.key('args');
      const value = await region.getOrCreate(key, (a: number, b: number) => a + b, { creatorArgs: [2, 3], shouldCacheFn: (v) => v > 10 });
      assert.equal(value, 5);
      assert.equal(await region.get(key), NO_VALUE);
    });

    it('getOrCreateMulti: empty input, alignment, shouldCacheFn', async () => {
      const region = await regions.make();
      assert.deepEqual(await region.getOrCreateMulti([], () => assert.fail('creator must not run')), []);
      const keys = [regions.key('m1'), regions.key('m2'), regions.key('m3')];
      const got = await region.getOrCreateMulti(keys, (missing) => missing.map(() => null), { shouldCacheFn: (v) => v !== null });
      assert.deepEqual(got, [null, null, null]);
      assert.deepEqual(await region.getMulti(keys), [NO_VALUE, NO_VALUE, NO_VALUE]);
      const created = await region.getOrCreateMulti([keys[1]!, keys[0]!], (missing) => missing.map((key) => key.length));
      assert.deepEqual(created, [keys[1]!.length, keys[0]!.length]);
      assert.deepEqual(await region.getMulti(keys.slice(0, 2)), [keys[0]!.length, keys[1]!.length]);
    });

    it('a creator that throws: its caller gets the error, nothing is cached, the next caller creates', async () => {
      const region = await regions.make();
      const key = regions.key('boom');
      await assert.rejects(region.getOrCreate(key, () => Promise.reject(new Error('boom'))), /boom/);
      assert.equal(await region.get(key), NO_VALUE);
      assert.equal(await region.keyIsLocked(key), false);
      assert.equal(await region.getOrCreate(key, () => 'after'), 'after');
    });

    it('50 concurrent getOrCreate on a cold key run the creator once', async () => {
      const region = await regions.make({ expirationTime: '1m' });
      const key = regions.key('stampede');
      let calls = 0;
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          region.getOrCreate(key, async () => {
            calls++;
            await sleep(30);
            return 'made';
          }),
        ),
      );
      assert.equal(calls, 1);
      assert.ok(results.every((value) => value === 'made'));
    });

    it('expired values are misses for get, served with ignoreExpiration, regenerated by getOrCreate', async () => {
      const slack = options.expirySlackMs ?? 0;
      const region = await regions.make({ expirationTime: 100 });
      const key = regions.key('expiry');
      let calls = 0;
      assert.equal(await region.getOrCreate(key, () => ++calls), 1);
      await sleep(250);
      assert.equal(await region.get(key), NO_VALUE);
      const ignored = await region.get(key, { ignoreExpiration: true });
      if (slack === 0) assert.equal(ignored, 1);
      else assert.ok(ignored === 1 || ignored === NO_VALUE);
      assert.equal(await region.get(key, { expirationTime: '1m' }), slack === 0 ? 1 : ignored);
      assert.equal(await region.getOrCreate(key, () => ++calls), 2);
      // Read without the 100 ms expiration: a loaded machine may take that long between the calls.
      assert.equal(await region.get(key, { expirationTime: '1m' }), 2);
    });

    it('hard invalidation makes older values misses; soft makes them stale', async () => {
      const region = await regions.make({ expirationTime: '1m' });
      const key = regions.key('invalidate');
      let calls = 0;
      await region.getOrCreate(key, () => ++calls);
      await sleep(5);
      region.invalidate();
      assert.equal(await region.get(key), NO_VALUE);
      assert.equal(await region.getOrCreate(key, () => ++calls), 2);
      await sleep(5);
      region.invalidate({ hard: false });
      assert.equal(await region.get(key), NO_VALUE);
      assert.equal(await region.get(key, { ignoreExpiration: true }), 2);
      assert.equal(await region.getOrCreate(key, () => ++calls), 3);
      assert.equal(await region.getOrCreate(key, () => ++calls), 3);
    });

    it('getValueMetadata gives the payload, creation time and age', async () => {
      const region = await regions.make({ expirationTime: '1m' });
      const key = regions.key('meta');
      const before = Date.now();
      await region.set(key, { a: 1 });
      const after = Date.now();
      const meta = await region.getValueMetadata(key);
      assert.ok(meta);
      assert.deepEqual(meta.payload, { a: 1 });
      assert.ok(meta.cachedTime >= before && meta.cachedTime < after + 1, `cachedTime ${meta.cachedTime} within [${before}, ${after}]`);
      assert.ok(meta.age >= 0);
      assert.equal(meta.metadata.v, 2);
      assert.equal(await region.getValueMetadata(regions.key('absent')), undefined);
    });

    it('keyIsLocked is true only while a creator runs', async () => {
      const region = await regions.make();
      const key = regions.key('locked');
      assert.equal(await region.keyIsLocked(key), false);
      assert.equal(await region.keyIsLocked(key), false, 'asking must not take the lock');
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const creation = region.getOrCreate(key, async () => {
        await gate;
        return 1;
      });
      await sleep(20);
      assert.equal(await region.keyIsLocked(key), true);
      release();
      await creation;
      assert.equal(await region.keyIsLocked(key), false);
    });

    it('a region serializer is used for the payload; CantDeserializeError makes a miss', async () => {
      let refuse = false;
      let serialized = 0;
      let deserialized = 0;
      const region = await regions.make(
        {},
        {
          serializer: (payload) => {
            serialized++;
            return jsonSerializer(payload);
          },
          deserializer: (bytes) => {
            deserialized++;
            if (refuse) throw new CantDeserializeError('not today');
            return jsonDeserializer(bytes);
          },
        },
      );
      const key = regions.key('json');
      const value = { foo: ['bar', 1, false, null] };
      await region.set(key, value);
      assert.equal(serialized, 1);
      assert.deepEqual(await region.get(key), value);
      refuse = true;
      const events: unknown[] = [];
      region.on('deserializeError', (event) => events.push(event));
      const before = deserialized;
      const refused = await region.get(key);
      // A backend may keep decoded values (shared memory does, per thread); only a read that
      // decoded again can have been refused.
      if (deserialized > before) {
        assert.equal(refused, NO_VALUE);
        assert.equal(events.length, 1);
      } else {
        assert.deepEqual(refused, value);
        assert.equal(events.length, 0);
      }
    });

    it('bytes that are not an entry are a miss and an event, never a crash', async function () {
      const region = await regions.make();
      if (region.actualBackend.serialized !== true) this.skip();
      const key = regions.key('corrupt');
      const events: Array<{ key: string }> = [];
      region.on('deserializeError', (event) => events.push(event));
      await region.backend.set(key, new Uint8Array([1, 2, 3, 4, 5]));
      assert.equal(await region.get(key), NO_VALUE);
      assert.equal(events.length, 1);
      assert.equal(events[0]!.key, key);
      assert.equal(await region.getOrCreate(key, () => 'fresh'), 'fresh');
      assert.ok(events.every((event) => event.key === key));
      assert.equal(await region.get(key), 'fresh');
      assert.equal(region.stats().deserializeErrors, events.length);
    });

    it('the synchronous API works when the backend offers it', async function () {
      const region = await regions.make({ expirationTime: '1m' });
      if (!region.supportsSync) {
        assert.throws(() => region.getSync('x'), TypeError);
        return;
      }
      const key = regions.key('sync');
      region.setSync(key, 'v');
      assert.equal(region.getSync(key), 'v');
      region.setMultiSync({ [key + '2']: 2 });
      assert.deepEqual(region.getMultiSync([key, key + '2', key + '3']), ['v', 2, NO_VALUE]);
      region.deleteSync(key);
      region.deleteMultiSync([key + '2']);
      assert.equal(region.getSync(key), NO_VALUE);
      let calls = 0;
      assert.equal(region.getOrCreateSync(key, () => ++calls), 1);
      assert.equal(region.getOrCreateSync(key, () => ++calls), 1);
      assert.equal(region.getValueMetadataSync(key)?.payload, 1);
    });

    it('the backend constructor leaves its arguments object as it was', async () => {
      const found = lookupBackend(options.backend);
      const backendClass: CacheBackendClass = isBackendClass(found) ? found : (await regions.make()).actualBackend.constructor as CacheBackendClass;
      const args = { ...((await options.arguments?.()) ?? {}) };
      const snapshot = structuredCloneSafe(args);
      const backend = new backendClass(args);
      assert.deepEqual(structuredCloneSafe(args), snapshot);
      await backend.close?.();
    });

    it('close() releases the backend; the region is unconfigured afterwards', async () => {
      const region = await regions.make();
      await region.set(regions.key('close'), 1);
      await region.close();
      assert.equal(region.isConfigured, false);
      await assert.rejects(region.get('x'), RegionNotConfigured);
    });
  });
}

function structuredCloneSafe(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = typeof item === 'object' && item !== null ? JSON.stringify(item) ?? String(item) : item;
  return out;
}
