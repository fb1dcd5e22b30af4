import { expect } from 'chai';
import {
  coerceStringConfig,
  DogpileCacheError,
  makeRegion,
  MemoryBackend,
  MemorySerializedBackend,
  NO_VALUE,
  NullBackend,
  PluginNotFound,
  RegionAlreadyConfigured,
  RegionNotConfigured,
  registerBackend,
  registeredBackendNames,
  ValidationError,
  type BackendArguments,
  type CacheBackendClass,
} from '../../src/index.js';

/** The memory backend, remembering the arguments each instance was built with. */
class ArgumentCapturingBackend extends MemoryBackend {
  static built: BackendArguments[] = [];
  constructor(args: BackendArguments = {}) {
    super(args);
    ArgumentCapturingBackend.built.push(args);
  }
}

let nameCounter = 0;
/** A registry name no other test uses: the registry is process-wide. */
function uniqueName(base: string): string {
  return `${base}-${process.pid}-${++nameCounter}`;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('region configuration', () => {
  beforeEach(() => {
    ArgumentCapturingBackend.built = [];
  });

  describe('makeRegion and configure', () => {
    it('keeps the region name (B02) and starts unconfigured', () => {
      const region = makeRegion({ name: 'my-name' });
      expect(region.name).to.equal('my-name');
      expect(region.isConfigured).to.equal(false);
      expect(makeRegion().name).to.equal(undefined);
    });

    it('configure returns the region, which is then configured with that backend', () => {
      const region = makeRegion();
      expect(region.configure('memory', { expirationTime: '30s' })).to.equal(region);
      expect(region.isConfigured).to.equal(true);
      expect(region.backend).to.be.instanceOf(MemoryBackend);
      expect(region.backendType).to.equal('memory');
      expect(region.policy.expirationMs).to.equal(30_000);
    });

    it('accepts durations as milliseconds and as unit strings; -1 and no expiration mean never (B05)', () => {
      const expiration = (value: unknown): number =>
        makeRegion().configure('memory', { expirationTime: value as number }).policy.expirationMs;
      expect(expiration(600)).to.equal(600);
      expect(expiration('250ms')).to.equal(250);
      expect(expiration('1.5s')).to.equal(1500);
      expect(expiration('5m')).to.equal(300_000);
      expect(expiration('32h')).to.equal(115_200_000);
      expect(expiration('1d')).to.equal(86_400_000);
      expect(expiration(0)).to.equal(0);
      expect(expiration(-1)).to.equal(Number.POSITIVE_INFINITY);
      expect(makeRegion().configure('memory').policy.expirationMs).to.equal(Number.POSITIVE_INFINITY);
    });

    for (const bad of ['one hour', -5, Number.NaN, '10 parsecs', {}, true]) {
      it(`rejects the expiration time ${String(bad) || 'object'} with a ValidationError naming it (B06)`, () => {
        const region = makeRegion();
        let thrown: unknown;
        try {
          region.configure('memory', { expirationTime: bad as number });
        } catch (error) {
          thrown = error;
        }
        expect(thrown).to.be.instanceOf(ValidationError);
        expect(thrown).to.be.instanceOf(DogpileCacheError);
        const shown = typeof bad === 'string' ? JSON.stringify(bad) : bad === null || typeof bad !== 'object' ? String(bad) : '{}';
        expect((thrown as Error).message).to.contain('expirationTime').and.to.contain(shown);
        expect(region.isConfigured).to.equal(false);
      });
    }

    it('rejects bad lock options at configure time, naming the option and value', () => {
      expect(() => makeRegion().configure('memory', { lockTimeout: 'soon' as '1s' })).to.throw(ValidationError, /lockTimeout.*"soon"/);
      expect(() => makeRegion().configure('memory', { onLockTimeout: 'wait' as 'error' })).to.throw(ValidationError, /onLockTimeout.*"wait"/);
      expect(() => makeRegion().configure('memory', { backgroundRefresh: 'yes' as unknown as boolean })).to.throw(ValidationError, /backgroundRefresh.*"yes"/);
      expect(() => makeRegion().configure('memory', { arguments: { maxEntries: -3 } })).to.throw(ValidationError, /maxEntries.*-3/);
    });

    it('a second configure throws RegionAlreadyConfigured naming the backend, and the first backend stays (B09)', async () => {
      const region = makeRegion().configure('memory');
      await region.set('k', 1);
      expect(() => region.configure('null')).to.throw(RegionAlreadyConfigured, /memory/);
      expect(region.isConfigured).to.equal(true);
      expect(region.backend).to.be.instanceOf(MemoryBackend);
      expect(await region.get('k')).to.equal(1);
    });

    it('replaceExistingBackend switches the backend (B10) and closes the old one', async () => {
      const region = makeRegion().configure('null');
      await region.set('k', 1);
      expect(await region.get('k')).to.equal(NO_VALUE);
      region.configure('memory', { replaceExistingBackend: true, expirationTime: '1m' });
      expect(region.backend).to.be.instanceOf(MemoryBackend);
      expect(region.policy.expirationMs).to.equal(60_000);
      await region.set('k', 2);
      expect(await region.get('k')).to.equal(2);
    });

    it('a user key mangler survives a replaced backend (B11); the default is none (B07)', async () => {
      expect(makeRegion().keyMangler).to.equal(undefined);
      const mangler = (key: string): string => `app:${key}`;
      const region = makeRegion({ keyMangler: mangler }).configure('memory');
      region.configure('memory-serialized', { replaceExistingBackend: true });
      expect(region.keyMangler).to.equal(mangler);
      await region.set('k', 1);
      expect(region.actualBackend.get('app:k')).to.be.instanceOf(Uint8Array);
    });

    it('a rejected replacement leaves the configured backend in place', () => {
      const region = makeRegion().configure('memory', { expirationTime: 100 });
      expect(() => region.configure('nope', { replaceExistingBackend: true })).to.throw(PluginNotFound);
      expect(() => region.configure('null', { replaceExistingBackend: true, expirationTime: 'later' as '1s' })).to.throw(ValidationError);
      expect(region.backend).to.be.instanceOf(MemoryBackend);
      expect(region.policy.expirationMs).to.equal(100);
    });

    it('an unconfigured region throws RegionNotConfigured from backend and every operation (B12)', async () => {
      const region = makeRegion();
      expect(region.isConfigured).to.equal(false);
      expect(() => region.backend).to.throw(RegionNotConfigured, /No backend is configured on this region/);
      expect(() => region.actualBackend).to.throw(RegionNotConfigured);
      expect(() => region.getSync('k')).to.throw(RegionNotConfigured);
      expect(await rejectionOf(region.get('k'))).to.be.instanceOf(RegionNotConfigured);
      expect(await rejectionOf(region.set('k', 1))).to.be.instanceOf(RegionNotConfigured);
      expect(await rejectionOf(region.getOrCreate('k', () => 1))).to.be.instanceOf(RegionNotConfigured);
      expect(await rejectionOf(region.getOrCreateMulti(['k'], () => [1]))).to.be.instanceOf(RegionNotConfigured);
    });

    it('an unknown backend throws PluginNotFound naming it and listing the registered ones; the region stays unconfigured (B13)', () => {
      const region = makeRegion();
      let thrown: unknown;
      try {
        region.configure('unknown');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(PluginNotFound);
      expect(thrown).to.be.instanceOf(DogpileCacheError);
      const message = (thrown as Error).message;
      expect(message).to.contain("Couldn't find cache plugin to load: unknown");
      for (const name of ['null', 'memory', 'memory-serialized']) expect(message).to.contain(name);
      expect(message).to.contain('registerBackend');
      expect(region.isConfigured).to.equal(false);
    });

    it('never mutates the arguments object, and the backend gets its own copy', () => {
      const args = Object.freeze({ maxEntries: 5 });
      const name = uniqueName('capturing');
      registerBackend(name, ArgumentCapturingBackend);
      const region = makeRegion().configure(name, { arguments: args });
      expect(args).to.deep.equal({ maxEntries: 5 });
      expect(ArgumentCapturingBackend.built).to.deep.equal([{ maxEntries: 5 }]);
      expect(ArgumentCapturingBackend.built[0]).to.not.equal(args);
      expect(region.backend).to.be.instanceOf(ArgumentCapturingBackend);
      const plain = { maxEntries: 2 };
      makeRegion().configure('memory', { arguments: plain, expirationTime: 10 });
      expect(plain).to.deep.equal({ maxEntries: 2 });
    });

    it('rejects an arguments value that is not an object, naming it', () => {
      expect(() => makeRegion().configure('memory', { arguments: 'maxEntries=3' as unknown as BackendArguments })).to.throw(ValidationError, /"maxEntries=3"/);
    });

    it('accepts a constructed backend instance, but no arguments with it', async () => {
      const backend = new MemorySerializedBackend();
      const region = makeRegion().configure(backend);
      expect(region.backend).to.equal(backend);
      expect(region.backendType).to.equal('memory-serialized');
      await region.set('k', 'v');
      expect(await region.get('k')).to.equal('v');
      expect(() => makeRegion().configure(new MemoryBackend(), { arguments: { maxEntries: 1 } })).to.throw(ValidationError, /arguments/);
    });
  });

  describe('configureFromConfig', () => {
    it('reads backend, expiration time and arguments under the prefix, coercing strings (B03)', () => {
      const name = uniqueName('capturing');
      registerBackend(name, ArgumentCapturingBackend);
      const config = Object.freeze({
        'cache.local.backend': name,
        'cache.local.expiration_time': '600',
        'cache.local.arguments.maxEntries': '10',
        'cache.local.arguments.url': '127.0.0.1',
        'cache.remote.backend': 'null',
        'cache.remote.arguments.ignored': 'x',
      });
      const region = makeRegion().configureFromConfig(config, 'cache.local.');
      expect(region.backend).to.be.instanceOf(ArgumentCapturingBackend);
      expect(region.policy.expirationMs).to.equal(600);
      expect(ArgumentCapturingBackend.built).to.deep.equal([{ maxEntries: 10, url: '127.0.0.1' }]);
    });

    it('the coerced arguments reach the backend as numbers: maxEntries 10 bounds the memory backend', async () => {
      const region = makeRegion().configureFromConfig(
        { 'cache.local.backend': 'memory', 'cache.local.expiration_time': '600', 'cache.local.arguments.maxEntries': '10' },
        'cache.local.',
      );
      for (let i = 0; i < 11; i++) await region.set(`k${i}`, i);
      expect(await region.get('k0')).to.equal(NO_VALUE);
      expect(await region.get('k10')).to.equal(10);
      expect(region.stats().evictions).to.equal(1);
    });

    it('coerces ints, floats, true/false in any case, None and null in arguments (B04)', () => {
      const name = uniqueName('capturing');
      registerBackend(name, ArgumentCapturingBackend);
      makeRegion().configureFromConfig(
        {
          'c.backend': name,
          'c.arguments.int': ' 600 ',
          'c.arguments.negative': '-1',
          'c.arguments.plus': '+1',
          'c.arguments.float': '0.1',
          'c.arguments.exponent': '-3.14e-10',
          'c.arguments.yes': 'TRUE',
          'c.arguments.no': 'false',
          'c.arguments.none': 'None',
          'c.arguments.null': 'null',
          'c.arguments.text': '  some text  ',
          'c.arguments.notANumber': '1.2.3',
          'c.arguments.already': 7,
        },
        'c.',
      );
      expect(ArgumentCapturingBackend.built[0]).to.deep.equal({
        int: 600,
        negative: -1,
        plus: 1,
        float: 0.1,
        exponent: -3.14e-10,
        yes: true,
        no: false,
        none: null,
        null: null,
        text: 'some text',
        notANumber: '1.2.3',
        already: 7,
      });
    });

    it('takes unit strings, "-1" and None for the expiration time', () => {
      const expiration = (value: string): number =>
        makeRegion().configureFromConfig({ 'r.backend': 'memory', 'r.expiration_time': value }, 'r.').policy.expirationMs;
      expect(expiration('30s')).to.equal(30_000);
      expect(expiration('-1')).to.equal(Number.POSITIVE_INFINITY);
      expect(expiration('None')).to.equal(Number.POSITIVE_INFINITY);
      expect(expiration(' 2.5 ')).to.equal(2.5);
    });

    it('reads the lock options and replace_existing_backend', () => {
      const region = makeRegion().configure('null');
      region.configureFromConfig(
        {
          'r.backend': 'memory',
          'r.replace_existing_backend': 'true',
          'r.lock_timeout': '2s',
          'r.on_lock_timeout': 'create',
          'r.background_refresh': 'True',
        },
        'r.',
      );
      expect(region.backend).to.be.instanceOf(MemoryBackend);
      expect(region.policy).to.deep.include({ lockTimeoutMs: 2000, onLockTimeout: 'create', backgroundRefresh: true });
      expect(() => region.configureFromConfig({ 'r.backend': 'null' }, 'r.')).to.throw(RegionAlreadyConfigured);
    });

    it('rejects a bad expiration time from config with a ValidationError naming it', () => {
      expect(() => makeRegion().configureFromConfig({ 'r.backend': 'memory', 'r.expiration_time': 'one hour' }, 'r.')).to.throw(
        ValidationError,
        /expirationTime.*"one hour"/,
      );
    });

    it('a backend named "null" is not coerced to null, and surrounding spaces are ignored', () => {
      expect(makeRegion().configureFromConfig({ 'r.backend': 'null' }, 'r.').backend).to.be.instanceOf(NullBackend);
      expect(makeRegion().configureFromConfig({ 'r.backend': ' memory ' }, 'r.').backend).to.be.instanceOf(MemoryBackend);
    });

    it('a missing or unknown backend is named in the error', () => {
      expect(() => makeRegion().configureFromConfig({ 'other.backend': 'memory' }, 'r.')).to.throw(ValidationError, /r\.backend/);
      expect(() => makeRegion().configureFromConfig({ 'r.backend': 'nosuch' }, 'r.')).to.throw(PluginNotFound, /nosuch/);
    });

    it('does not mutate the config object', () => {
      const config = { 'r.backend': 'memory', 'r.expiration_time': '600', 'r.arguments.maxEntries': '3' };
      const copy = { ...config };
      makeRegion().configureFromConfig(config, 'r.');
      expect(config).to.deep.equal(copy);
    });
  });

  describe('coerceStringConfig (I18)', () => {
    const cases: Array<[unknown, unknown]> = [
      ['-1', -1],
      ['+1', 1],
      ['600', 600],
      ['0.1', 0.1],
      ['-3.14e-10', -3.14e-10],
      ['.5', 0.5],
      ['1.', 1],
      ['1E3', 1000],
      ['true', true],
      ['False', false],
      ['TRUE', true],
      ['None', null],
      ['null', null],
      ['NULL', null],
      ['  padded  ', 'padded'],
      ['none', 'none'],
      ['1.2.3', '1.2.3'],
      ['0x10', '0x10'],
      ['', ''],
      [5, 5],
      [null, null],
    ];
    for (const [input, expected] of cases) {
      it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
        expect(coerceStringConfig(input)).to.deep.equal(expected);
      });
    }

    it('keeps an integer too large for a double as the string, instead of silently rounding it', () => {
      expect(coerceStringConfig('12345678901234567890')).to.equal('12345678901234567890');
      expect(coerceStringConfig('9007199254740991')).to.equal(9_007_199_254_740_991);
    });
  });

  describe('registerBackend', () => {
    it('registers a class under a name usable by configure, and a later registration replaces it', () => {
      const name = uniqueName('cls');
      registerBackend(name, NullBackend);
      expect(registeredBackendNames()).to.include(name);
      expect(makeRegion().configure(name).backend).to.be.instanceOf(NullBackend);
      registerBackend(name, MemoryBackend);
      expect(makeRegion().configure(name).backend).to.be.instanceOf(MemoryBackend);
    });

    it('rejects an empty name and a backend that is not a function, naming them', () => {
      expect(() => registerBackend('', MemoryBackend)).to.throw(TypeError, /non-empty name/);
      expect(() => registerBackend('x', 42 as unknown as CacheBackendClass)).to.throw(TypeError, /"x"/);
    });

    it('an async loader runs only when a region asks for it; operations wait for region.ready', async () => {
      const name = uniqueName('lazy');
      let loads = 0;
      registerBackend(name, async () => {
        loads++;
        await new Promise((resolve) => setTimeout(resolve, 10));
        return ArgumentCapturingBackend;
      });
      expect(loads).to.equal(0);
      const region = makeRegion().configure(name, { arguments: { maxEntries: 4 }, expirationTime: '1m' });
      expect(loads).to.equal(1);
      expect(region.isConfigured).to.equal(true);
      expect(() => region.backend).to.throw(RegionNotConfigured, /still loading/);
      expect(() => region.configure('memory')).to.throw(RegionAlreadyConfigured);
      // Issued while loading: these wait for the backend instead of failing.
      const written = region.set('k', 'v');
      const read = region.getOrCreate('other', () => 'created');
      await region.ready;
      expect(region.backend).to.be.instanceOf(ArgumentCapturingBackend);
      expect(ArgumentCapturingBackend.built).to.deep.equal([{ maxEntries: 4 }]);
      await written;
      expect(await read).to.equal('created');
      expect(await region.get('k')).to.equal('v');
      expect(region.backendType).to.equal(name);
    });

    it('an async loader may return a module whose default export is the class', async () => {
      const name = uniqueName('module');
      registerBackend(name, async () => ({ default: MemorySerializedBackend }));
      const region = makeRegion().configure(name);
      await region.ready;
      expect(region.backend).to.be.instanceOf(MemorySerializedBackend);
    });

    it('an async loader can import a real module', async () => {
      const name = uniqueName('import');
      registerBackend(name, async () => (await import('../../src/backends/memory.js')).MemoryBackend);
      const region = makeRegion().configure(name);
      expect(await region.getOrCreate('k', () => 'v')).to.equal('v');
      expect(await region.get('k')).to.equal('v');
      // By name, not instanceof: mocha loads these sources as CommonJS, and import() then gives
      // the ESM copy of the module, a different class object.
      expect(region.actualBackend.constructor.name).to.equal('MemoryBackend');
    });

    it('a loader that fails, or yields no class, rejects region.ready and the operations with its error', async () => {
      const failing = uniqueName('failing');
      registerBackend(failing, async () => {
        throw new Error('optional dependency missing');
      });
      const region = makeRegion().configure(failing);
      expect(((await rejectionOf(region.ready)) as Error).message).to.equal('optional dependency missing');
      expect(((await rejectionOf(region.get('k'))) as Error).message).to.equal('optional dependency missing');

      const empty = uniqueName('empty');
      registerBackend(empty, async () => ({}) as unknown as CacheBackendClass);
      const error = await rejectionOf(makeRegion().configure(empty).ready);
      expect(error).to.be.instanceOf(PluginNotFound);
      expect((error as Error).message).to.contain(empty);
    });

    it('a backend constructor error from a lazily loaded backend surfaces through region.ready', async () => {
      const name = uniqueName('lazy-invalid');
      registerBackend(name, async () => MemoryBackend);
      const error = await rejectionOf(makeRegion().configure(name, { arguments: { maxEntries: 'ten' } }).ready);
      expect(error).to.be.instanceOf(ValidationError);
      expect((error as Error).message).to.contain('"ten"');
    });

    // Pending a fix in src/region/region.ts: a synchronous replacement made while an async loader
    // is still running is later overwritten by that loader's install.
    it('a replacement configured while an async loader runs is not overwritten when the loader finishes', async () => {
      const name = uniqueName('slow');
      registerBackend(name, async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return MemoryBackend;
      });
      const region = makeRegion().configure(name);
      region.configure('null', { replaceExistingBackend: true });
      await new Promise((resolve) => setTimeout(resolve, 40));
      expect(region.backend).to.be.instanceOf(NullBackend);
    });
  });
});
