import { expect } from 'chai';
import fc from 'fast-check';
import { hashKey, isNarrowKey, storedKeyBytes, storedKeyEquals, writeKey } from '../../../src/backends/shared-memory/hashing.js';

describe('shared-memory: key hashing and stored keys', () => {
  it('hashes deterministically to a signed 32-bit integer', () => {
    expect(hashKey('render:42')).to.equal(hashKey('render:42'));
    expect(hashKey('render:42')).to.not.equal(hashKey('render:43'));
    expect(hashKey('a') | 0).to.equal(hashKey('a'));
  });

  it('spreads sequential keys over the low bits (bucket index)', () => {
    const buckets = new Set<number>();
    for (let i = 0; i < 1024; i++) buckets.add(hashKey(`key-${i}`) & 1023);
    // A uniform hash fills about 63% of 1024 buckets with 1024 keys.
    expect(buckets.size).to.be.greaterThan(560);
  });

  it('stores narrow keys one byte per character and wide keys as UTF-16, and compares them back', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), (key, other) => {
        const narrow = isNarrowKey(key);
        const buffer = new ArrayBuffer(256);
        const bytes = new Uint8Array(buffer);
        const chars = new Uint16Array(buffer);
        expect(storedKeyBytes(key, narrow)).to.equal(narrow ? key.length : key.length * 2);
        writeKey(bytes, chars, 8, key, narrow);
        expect(storedKeyEquals(bytes, chars, 8, !narrow, key)).to.equal(true);
        if (other !== key && other.length === key.length) expect(storedKeyEquals(bytes, chars, 8, !narrow, other)).to.equal(false);
      }),
    );
    expect(isNarrowKey('café')).to.equal(true);
    expect(isNarrowKey('ключ')).to.equal(false);
    expect(isNarrowKey('😀')).to.equal(false);
  });
});
