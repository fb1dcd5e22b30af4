import { expect } from 'chai';
import * as main from '../src/index.js';
import * as nativeFree from '../native-free/index.js';

// The names DESIGN.md section 3 promises to users and to outside tests.
const CONTRACT = [
  'makeRegion', 'CacheRegion', 'attachRegion', 'NO_VALUE', 'CachedValue', 'registerBackend', 'ProxyBackend',
  'sha1MangleKey', 'lengthConditionalMangler', 'functionKeyGenerator', 'kwargFunctionKeyGenerator',
  'functionMultiKeyGenerator', 'DefaultInvalidationStrategy', 'DogpileCacheError', 'RegionAlreadyConfigured',
  'RegionNotConfigured', 'ValidationError', 'PluginNotFound', 'CantDeserializeError', 'LockTimeoutError',
];
const BACKENDS = ['null', 'memory', 'memory-serialized', 'shared-memory', 'lmdb', 'file', 'redis', 'redis-sentinel', 'redis-cluster', 'memcached', 'tiered'];

describe('public API', () => {
  it('the main entry point exports every contract name and registers every backend', () => {
    expect(CONTRACT.filter((name) => !(name in main))).to.deep.equal([]);
    expect(BACKENDS.filter((name) => !main.registeredBackendNames().includes(name))).to.deep.equal([]);
  });

  it('the native-free entry point exports the same names; every error class extends DogpileCacheError', () => {
    expect(CONTRACT.filter((name) => !(name in nativeFree))).to.deep.equal([]);
    for (const ErrorClass of [main.RegionAlreadyConfigured, main.RegionNotConfigured, main.ValidationError, main.PluginNotFound, main.CantDeserializeError, main.BackendUnavailableError]) {
      expect(new ErrorClass('x')).to.be.instanceOf(main.DogpileCacheError);
    }
    expect(new main.LockTimeoutError('k', 5)).to.be.instanceOf(main.DogpileCacheError);
    expect(new main.ValueTooLargeError('k', 2, 1)).to.be.instanceOf(main.DogpileCacheError);
  });
});
