import { expect } from 'chai';
import type { ValueCodec } from '../../../src/backends/api.js';
import { envelopeCodec } from '../../../src/backends/shared-memory/codec.js';
import { EnvelopeFlags, encodeEnvelope, msgpackSerializer } from '../../../src/serialization/index.js';
import { SharedMemoryBackend } from '../../../src/backends/shared-memory/index.js';
import { NO_VALUE, type CachedValue, type NoValue } from '../../../src/values.js';
import { cached } from './support.js';

/** The envelope codec, counting decodes. */
function countingDecodes(): ValueCodec & { decodes: number } {
  const codec = {
    decodes: 0,
    encode: (value: CachedValue) => envelopeCodec.encode(value),
    decode(bytes: Uint8Array, key: string): CachedValue | NoValue {
      codec.decodes++;
      return envelopeCodec.decode(bytes, key);
    },
  };
  return codec;
}

describe('shared-memory: per-thread decoded cache', () => {
  it('decodes once per version: repeated reads return the same object without decoding', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 });
    const codec = countingDecodes();
    backend.useCodec(codec);
    backend.setSync('k', cached({ big: 'object' }));
    const first = backend.getSync('k');
    for (let i = 0; i < 100; i++) expect(backend.getSync('k')).to.equal(first);
    expect(codec.decodes).to.equal(1);
    expect(backend.inspect().decodedInThisThread).to.equal(1);
  });

  it('a write through another handle on the same table (another thread, in effect) makes the copy stale', () => {
    const writer = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 });
    const reader = SharedMemoryBackend.attach(writer.share());
    const codec = countingDecodes();
    reader.useCodec(codec);
    writer.setSync('k', cached('v1'));
    expect((reader.getSync('k') as CachedValue).payload).to.equal('v1');
    expect((reader.getSync('k') as CachedValue).payload).to.equal('v1');
    writer.setSync('k', cached('v2'));
    expect((reader.getSync('k') as CachedValue).payload).to.equal('v2');
    writer.deleteSync('k');
    expect(reader.getSync('k')).to.equal(NO_VALUE);
    // The record is recycled for another key: the old copy must not answer for it.
    writer.setSync('other', cached('o'));
    expect(reader.getSync('k')).to.equal(NO_VALUE);
    expect((reader.getSync('other') as CachedValue).payload).to.equal('o');
    expect(codec.decodes).to.equal(3);
  });

  it('an eviction by another handle makes the copy stale too', () => {
    const writer = new SharedMemoryBackend({ maxEntries: 2, maxBytes: 8192 });
    const reader = SharedMemoryBackend.attach(writer.share());
    writer.setSync('a', cached('a'));
    expect(reader.getSync('a')).to.not.equal(NO_VALUE);
    writer.setSync('b', cached('b'));
    writer.setSync('c', cached('c'));
    writer.setSync('d', cached('d'));
    expect(reader.getSync('a')).to.equal(NO_VALUE);
  });

  it('keeps at most localCacheEntries copies, dropping the oldest', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 100, maxBytes: 64 * 1024, localCacheEntries: 5 });
    for (let i = 0; i < 20; i++) backend.setSync(`k${i}`, cached(i));
    for (let i = 0; i < 20; i++) backend.getSync(`k${i}`);
    expect(backend.inspect().decodedInThisThread).to.equal(5);
    const codec = countingDecodes();
    backend.useCodec(codec);
    backend.getSync('k19');
    backend.getSync('k19');
    backend.getSync('k0');
    expect(codec.decodes).to.equal(2);
  });

  it('localCacheEntries: 0 decodes on every read', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192, localCacheEntries: 0 });
    const codec = countingDecodes();
    backend.useCodec(codec);
    backend.setSync('k', cached({ a: 1 }));
    const first = backend.getSync('k');
    const second = backend.getSync('k');
    expect(first).to.not.equal(second);
    expect(second).to.deep.equal(first);
    expect(codec.decodes).to.equal(2);
    expect(backend.inspect().decodedInThisThread).to.equal(0);
  });

  it('an undecodable entry is decoded (and reported by the codec) once per version, then stays a miss', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 });
    let failures = 0;
    backend.useCodec({
      encode: (value) => envelopeCodec.encode(value),
      decode: () => {
        failures++;
        return NO_VALUE;
      },
    });
    backend.setSync('k', cached(1));
    expect(backend.getSync('k')).to.equal(NO_VALUE);
    expect(backend.getSync('k')).to.equal(NO_VALUE);
    expect(failures).to.equal(1);
  });

  it('values written with a region\'s own serializer are decoded once per version too', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 });
    const codec = countingDecodes();
    codec.encode = (value: CachedValue) => encodeEnvelope(value.metadata.ct, msgpackSerializer(value.payload), EnvelopeFlags.customSerializer);
    backend.useCodec(codec);
    backend.setSync('k', cached('custom'));
    expect((backend.getSync('k') as CachedValue).payload).to.equal('custom');
    expect((backend.getSync('k') as CachedValue).payload).to.equal('custom');
    expect(codec.decodes).to.equal(1);
  });

  it('a thread does not see its own later mutation of a payload it stored (values are snapshots)', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 });
    const payload = { n: 1 };
    backend.setSync('k', cached(payload));
    payload.n = 2;
    expect((backend.getSync('k') as CachedValue<{ n: number }>).payload.n).to.equal(1);
  });

  it('close() drops this thread\'s copies; the table keeps its entries', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 });
    backend.setSync('k', cached(1));
    backend.getSync('k');
    backend.close();
    expect(backend.inspect().decodedInThisThread).to.equal(0);
    const other = SharedMemoryBackend.attach(backend.share());
    expect((other.getSync('k') as CachedValue).payload).to.equal(1);
  });
});
