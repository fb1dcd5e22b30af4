import { expect } from 'chai';
import { SharedMemoryBackend } from '../../../src/backends/shared-memory/index.js';
import { DEFAULT_LOCK_LEASE_MS, DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, resolveOptions } from '../../../src/backends/shared-memory/options.js';
import { ValidationError } from '../../../src/errors.js';

describe('shared-memory: options', () => {
  it('has documented defaults', () => {
    const options = resolveOptions({});
    expect(options).to.deep.equal({
      maxEntries: DEFAULT_MAX_ENTRIES,
      maxBytes: DEFAULT_MAX_BYTES,
      maxValueBytes: DEFAULT_MAX_BYTES / 4,
      maxKeyBytes: 4096,
      localCacheEntries: DEFAULT_MAX_ENTRIES,
      lockLeaseMs: DEFAULT_LOCK_LEASE_MS,
      lockSlots: 4096,
    });
    expect(DEFAULT_MAX_ENTRIES).to.equal(10_000);
    expect(DEFAULT_MAX_BYTES).to.equal(64 * 2 ** 20);
    expect(DEFAULT_LOCK_LEASE_MS).to.equal(10_000);
  });

  it('accepts every option and derives the rest', () => {
    const options = resolveOptions({ maxEntries: 500, maxBytes: 100_003, maxValueBytes: 1000, maxKeyBytes: 64, localCacheEntries: 0, lockLease: '2s', lockSlots: 100 });
    expect(options).to.deep.equal({ maxEntries: 500, maxBytes: 100_000, maxValueBytes: 1000, maxKeyBytes: 64, localCacheEntries: 0, lockLeaseMs: 2000, lockSlots: 128 });
    expect(resolveOptions({ maxEntries: 10 }).localCacheEntries).to.equal(10);
    expect(resolveOptions({ maxBytes: 8192 }).maxValueBytes).to.equal(2048);
  });

  it('ignores unknown names and never changes the arguments object', () => {
    const args = Object.freeze({ maxEntries: 10, somethingElse: true });
    expect(resolveOptions(args).maxEntries).to.equal(10);
    expect(args).to.deep.equal({ maxEntries: 10, somethingElse: true });
  });

  const bad: Array<[string, Record<string, unknown>]> = [
    ['maxEntries', { maxEntries: 0 }],
    ['maxEntries', { maxEntries: 1.5 }],
    ['maxEntries', { maxEntries: '100' }],
    ['maxEntries', { maxEntries: 2 ** 24 + 1 }],
    ['maxBytes', { maxBytes: 100 }],
    ['maxBytes', { maxBytes: 2 ** 31 }],
    ['maxValueBytes', { maxValueBytes: 0 }],
    ['maxValueBytes', { maxBytes: 8192, maxValueBytes: 9000 }],
    ['maxKeyBytes', { maxKeyBytes: -1 }],
    ['maxBytes', { maxBytes: 8192, maxKeyBytes: 4096, maxValueBytes: 4096 }],
    ['localCacheEntries', { localCacheEntries: -1 }],
    ['lockLease', { lockLease: 'soon' }],
    ['lockLease', { lockLease: 0 }],
    ['lockLease', { lockLease: -1 }],
    ['lockSlots', { lockSlots: 8 }],
  ];
  for (const [option, args] of bad) {
    it(`rejects ${JSON.stringify(args)} with a ValidationError naming ${option}`, () => {
      expect(() => new SharedMemoryBackend(args)).to.throw(ValidationError, option);
    });
  }

  it('rejects arguments that are not an object', () => {
    expect(() => resolveOptions(null as never)).to.throw(ValidationError, 'arguments must be an object');
  });
});
