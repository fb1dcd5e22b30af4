import { expect } from 'chai';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { isNoValue } from '../../../src/values.js';
import { LOCK_MARKER, MAX_KEY_BYTES, MemcachedKeys } from '../../../src/backends/memcached/index.js';
import { BackendPool, envelope, rawClient, text } from './support.js';

const HASHED = /^(.*)#([0-9a-f]{40})$/;

function isSafeForMemcached(key: string): boolean {
  return Buffer.byteLength(key) <= MAX_KEY_BYTES && !/[\s\p{Cc}]/u.test(key) && !/\p{Cs}/u.test(key);
}

describe('memcached backend: key safety', () => {
  const keys = new MemcachedKeys('app:');

  it('sends short keys of printable characters as prefix + key', () => {
    expect(keys.valueKey('user:42')).to.equal('app:user:42');
    expect(keys.valueKey('ünïcödé-✓')).to.equal('app:ünïcödé-✓');
    expect(keys.lockKey('user:42')).to.equal(`app:${LOCK_MARKER}user:42`);
  });

  it('hashes keys over 250 bytes, keeping a readable start', () => {
    const long = 'k'.repeat(300);
    const safe = keys.valueKey(long);
    const match = HASHED.exec(safe)!;
    expect(match, safe).to.not.equal(null);
    expect(match[1]).to.equal(`app:${'k'.repeat(64)}`);
    expect(match[2]).to.equal(createHash('sha1').update('v\0').update(long).digest('hex'));
    expect(Buffer.byteLength(safe)).to.be.at.most(MAX_KEY_BYTES);
    // 250 bytes including the prefix is the edge.
    expect(keys.valueKey('k'.repeat(246))).to.equal(`app:${'k'.repeat(246)}`);
    expect(keys.valueKey('k'.repeat(247))).to.match(HASHED);
    // Multi-byte characters count as bytes, not characters.
    expect(keys.valueKey('é'.repeat(123))).to.equal(`app:${'é'.repeat(123)}`);
    expect(keys.valueKey('é'.repeat(123) + 'x')).to.match(HASHED);
  });

  it('hashes keys with whitespace or control characters', () => {
    for (const key of ['a b', 'tab\there', 'new\nline', 'cr\r', 'nul\u0000', 'del\u007f', 'c1\u0085', 'nbsp\u00a0', 'ideo\u3000', 'ls\u2028']) {
      const safe = keys.valueKey(key);
      expect(safe, JSON.stringify(key)).to.match(HASHED);
      expect(isSafeForMemcached(safe), JSON.stringify(safe)).to.equal(true);
      expect(HASHED.exec(safe)![1]).to.equal(`app:${key.replace(/[^\x21-\x7e]/g, '_')}`);
    }
  });

  it('hashes keys with lone surrogates by their code units, so different ones stay different', () => {
    const a = keys.valueKey('x\ud800');
    const b = keys.valueKey('x\udc00');
    expect(a).to.match(HASHED);
    expect(b).to.match(HASHED);
    expect(a).to.not.equal(b);
  });

  it('never maps two keys to one memcached key (raw keys that look hashed or like locks are hashed)', () => {
    const hashedForm = keys.valueKey('a b'); // app:a_b#<sha1>
    const lookalike = hashedForm.slice('app:'.length);
    expect(keys.valueKey(lookalike)).to.not.equal(hashedForm);
    expect(keys.valueKey(lookalike)).to.match(HASHED);
    // A value key that starts with the lock marker does not take the lock record's place.
    expect(keys.valueKey(`${LOCK_MARKER}k`)).to.not.equal(keys.lockKey('k'));
    expect(keys.valueKey(`${LOCK_MARKER}k`)).to.match(HASHED);
    // Hashed values and hashed locks of the same key differ.
    expect(keys.valueKey('a b')).to.not.equal(keys.lockKey('a b'));
  });

  it('property: every key becomes a safe memcached key, and distinct keys stay distinct', () => {
    const key = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 120 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ maxLength: 300 }),
      fc.constantFrom(`${LOCK_MARKER}x`, 'x#' + 'a'.repeat(40), 'k'.repeat(246), 'k'.repeat(247)),
    );
    fc.assert(
      fc.property(key, key, (a, b) => {
        for (const safe of [keys.valueKey(a), keys.lockKey(a), keys.valueKey(b), keys.lockKey(b)]) {
          if (!isSafeForMemcached(safe)) return false;
        }
        if (keys.valueKey(a) === keys.lockKey(b)) return false;
        if (a !== b && (keys.valueKey(a) === keys.valueKey(b) || keys.lockKey(a) === keys.lockKey(b))) return false;
        return true;
      }),
      { numRuns: 500 },
    );
  });

  describe('against the real server', () => {
    const pool = new BackendPool();
    let raw: ReturnType<typeof rawClient>;
    before(() => (raw = rawClient()));
    afterEach(() => pool.closeAll());
    after(() => raw.close());

    it('stores and reads back unsafe keys, never sending them raw', async () => {
      const backend = pool.create();
      const unsafe = ['k'.repeat(300), 'with space', 'line\nbreak', 'ctrl\u0001', 'é'.repeat(200), `${LOCK_MARKER}user`];
      for (const [index, key] of unsafe.entries()) await backend.set(key, envelope(`value ${index}`));
      for (const [index, key] of unsafe.entries()) {
        const value = await backend.get(key);
        expect(isNoValue(value), key).to.equal(false);
        expect(text(value as Uint8Array)).to.equal(`value ${index}`);
        // What the server holds sits under the hashed key …
        const stored = await raw.get(backend.memcachedKey(key));
        expect(stored.value, key).to.not.equal(null);
      }
      // … and the connection survived: memcached drops the connection on a key it refuses.
      await backend.set('plain', envelope('still fine'));
      expect(text((await backend.get('plain')) as Uint8Array)).to.equal('still fine');
      // Distinct unsafe keys did not overwrite each other.
      expect(new Set(unsafe.map((key) => backend.memcachedKey(key))).size).to.equal(unsafe.length);
    });

    it('keeps regions with different prefixes apart', async () => {
      const a = pool.create({ prefix: 'region-a:' + Math.random() });
      const b = pool.create({ prefix: 'region-b:' + Math.random() });
      await a.set('same', envelope('from a'));
      await b.set('same', envelope('from b'));
      expect(text((await a.get('same')) as Uint8Array)).to.equal('from a');
      expect(text((await b.get('same')) as Uint8Array)).to.equal('from b');
    });
  });
});
