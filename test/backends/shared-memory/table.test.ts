import { expect } from 'chai';
import fc from 'fast-check';
import { SharedMemoryBackend } from '../../../src/backends/shared-memory/index.js';
import { ValueTooLargeError } from '../../../src/errors.js';
import { NO_VALUE, type CachedValue } from '../../../src/values.js';
import { cached } from './support.js';

const payloadOf = (value: unknown): unknown => (value === NO_VALUE ? NO_VALUE : (value as CachedValue).payload);

describe('shared-memory: table reads and writes (one thread)', () => {
  it('round-trips values of every kind msgpack keeps, under narrow, wide and empty keys', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 100, maxBytes: 64 * 1024 });
    const values: Array<[string, unknown]> = [
      ['', 'empty key'],
      ['plain', { a: 1, b: [true, null, 'x'] }],
      ['ключ', 'wide key'],
      ['emoji 😀', 3.25],
      ['date', new Date(1_700_000_000_000)],
      ['bytes', new Uint8Array([1, 2, 3])],
      ['undefined', undefined],
      ['null', null],
    ];
    for (const [key, payload] of values) backend.setSync(key, cached(payload, 1234));
    for (const [key, payload] of values) {
      const value = backend.getSync(key) as CachedValue;
      expect(value.payload, key).to.deep.equal(payload);
      expect(value.metadata.ct).to.equal(1234);
    }
    expect(backend.getSync('missing')).to.equal(NO_VALUE);
    expect(backend.inspect().liveEntries).to.equal(values.length);
    backend.verify();
  });

  it('overwrites in place, deletes idempotently, and the async methods answer the same', async () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 });
    await backend.set('k', cached('one'));
    await backend.set('k', cached('two'));
    expect(payloadOf(await backend.get('k'))).to.equal('two');
    expect(backend.inspect().liveEntries).to.equal(1);
    await backend.delete('k');
    await backend.delete('k');
    expect(await backend.get('k')).to.equal(NO_VALUE);
    await backend.setMulti([['a', cached(1)], ['b', cached(2)], ['c', cached(3)]]);
    expect((await backend.getMulti(['a', 'x', 'c'])).map(payloadOf)).to.deep.equal([1, NO_VALUE, 3]);
    await backend.deleteMulti(['a', 'c', 'never']);
    expect(backend.getMultiSync(['a', 'b', 'c']).map(payloadOf)).to.deep.equal([NO_VALUE, 2, NO_VALUE]);
    backend.setMultiSync([]);
    backend.deleteMultiSync([]);
    expect(backend.verify().liveEntries).to.equal(1);
  });

  it('accepts envelope bytes as well as CachedValue objects', () => {
    const source = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 });
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 });
    source.setSync('k', cached({ deep: [1] }, 42));
    const bytes = (source as unknown as { codec: { encode(v: CachedValue): Uint8Array } }).codec.encode(cached({ deep: [1] }, 42));
    backend.setSync('k', bytes);
    const value = backend.getSync('k') as CachedValue;
    expect(value.payload).to.deep.equal({ deep: [1] });
    expect(value.metadata.ct).to.equal(42);
  });

  it('a decoded value owns its bytes: later writes to the shared memory do not change it', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 4, maxBytes: 4096, localCacheEntries: 0 });
    backend.setSync('bytes', cached(new Uint8Array([7, 7, 7])));
    const first = (backend.getSync('bytes') as CachedValue<Uint8Array>).payload;
    for (let i = 0; i < 50; i++) backend.setSync(`other-${i}`, cached(new Uint8Array(64).fill(i)));
    expect([...first]).to.deep.equal([7, 7, 7]);
  });

  it('a value over maxValueBytes throws ValueTooLargeError naming the key and the size, and stores nothing', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192, maxValueBytes: 1000 });
    const big = cached('x'.repeat(2000));
    expect(() => backend.setSync('too-big', big)).to.throw(ValueTooLargeError, /"too-big" is \d{4} bytes, over the limit of 1000 bytes/);
    try {
      backend.setSync('too-big', big);
    } catch (error) {
      expect(error).to.include({ key: 'too-big', limit: 1000 });
      expect((error as ValueTooLargeError).size).to.be.greaterThan(2000);
    }
    expect(() => backend.setMultiSync([['fine', cached('small')], ['too-big', big]])).to.throw(ValueTooLargeError);
    expect(backend.getSync('fine')).to.equal(NO_VALUE);
    expect(backend.inspect().liveEntries).to.equal(0);
  });

  it('a key over maxKeyBytes throws ValueTooLargeError that suggests a key mangler', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192, maxKeyBytes: 16 });
    expect(() => backend.setSync('k'.repeat(17), cached(1))).to.throw(ValueTooLargeError, /sha1MangleKey/);
    expect(() => backend.setSync('ключ'.repeat(3), cached(1))).to.throw(ValueTooLargeError, /24 bytes/);
    backend.setSync('k'.repeat(16), cached(1));
  });

  it('behaves like a map when nothing needs evicting', () => {
    const keys = fc.constantFrom('a', 'b', 'c', 'ключ', 'd'.repeat(50), '');
    const operation = fc.oneof(
      fc.tuple(fc.constant('set' as const), keys, fc.string({ maxLength: 300 })),
      fc.tuple(fc.constant('delete' as const), keys, fc.constant('')),
      fc.tuple(fc.constant('get' as const), keys, fc.constant('')),
    );
    fc.assert(
      fc.property(fc.array(operation, { minLength: 20, maxLength: 120 }), fc.boolean(), (operations, decodedCache) => {
        const backend = new SharedMemoryBackend({ maxEntries: 16, maxBytes: 64 * 1024, localCacheEntries: decodedCache ? 16 : 0 });
        const model = new Map<string, string>();
        for (const [kind, key, text] of operations) {
          if (kind === 'set') {
            backend.setSync(key, cached(text));
            model.set(key, text);
          } else if (kind === 'delete') {
            backend.deleteSync(key);
            model.delete(key);
          } else {
            expect(payloadOf(backend.getSync(key))).to.equal(model.has(key) ? model.get(key) : NO_VALUE);
          }
        }
        for (const key of ['a', 'b', 'c', 'ключ', 'd'.repeat(50), '']) expect(payloadOf(backend.getSync(key))).to.equal(model.has(key) ? model.get(key) : NO_VALUE);
        expect(backend.verify().liveEntries).to.equal(model.size);
      }),
      { numRuns: 80 },
    );
  });

  it('under eviction pressure a read gives the last value written for that key or a miss, never anything else', () => {
    const operation = fc.oneof(
      fc.tuple(fc.constant('set' as const), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 700 })),
      fc.tuple(fc.constant('delete' as const), fc.integer({ min: 0, max: 40 }), fc.constant(0)),
      fc.tuple(fc.constant('get' as const), fc.integer({ min: 0, max: 40 }), fc.constant(0)),
    );
    fc.assert(
      fc.property(fc.array(operation, { minLength: 50, maxLength: 300 }), (operations) => {
        const backend = new SharedMemoryBackend({ maxEntries: 12, maxBytes: 4096, maxValueBytes: 1024, maxKeyBytes: 64 });
        const model = new Map<string, string>();
        let version = 0;
        for (const [kind, n, length] of operations) {
          const key = `key-${n}`;
          if (kind === 'set') {
            const text = `${key}#${version++}:${'v'.repeat(length)}`;
            backend.setSync(key, cached(text));
            model.set(key, text);
          } else if (kind === 'delete') {
            backend.deleteSync(key);
            model.delete(key);
          } else {
            const got = payloadOf(backend.getSync(key));
            if (got !== NO_VALUE) expect(got).to.equal(model.get(key));
          }
        }
        const check = backend.verify();
        expect(check.liveEntries).to.be.at.most(12);
        expect(check.arenaUsedBytes).to.be.at.most(4096);
      }),
      { numRuns: 60 },
    );
  });
});
