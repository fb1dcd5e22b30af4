import { expect } from 'chai';
import { CantDeserializeError, encodeEnvelope, HEADER_SIZE, makeRegion, msgpackDeserializer, msgpackSerializer, NO_VALUE, readHeader } from '../../src/index.js';

describe('storage envelope and serializers', () => {
  it('the header carries magic, version, flags and creation time, readable without decoding', () => {
    const bytes = encodeEnvelope(1_700_000_000_123.5, new Uint8Array([9, 9]), 1);
    expect(bytes.length).to.equal(HEADER_SIZE + 2);
    expect(bytes[0]).to.equal(0xdc);
    expect(readHeader(bytes)).to.deep.equal({ version: 2, flags: 1, createdAt: 1_700_000_000_123.5 });
    expect(readHeader(new Uint8Array([1, 2, 3]))).to.equal(undefined);
    expect(readHeader(new Uint8Array(HEADER_SIZE))).to.equal(undefined);
  });

  it('byte-storing backends get envelope + msgpack; the payload keeps Dates, typed arrays, undefined', async () => {
    const region = makeRegion().configure('memory-serialized');
    const value = { when: new Date(5), bytes: new Uint8Array([1, 2]), nothing: undefined, list: [1, 'a'] };
    await region.set('k', value);
    const stored = (await region.backend.get('k')) as Uint8Array;
    expect(stored).to.be.instanceOf(Uint8Array);
    expect(readHeader(stored)!.version).to.equal(2);
    expect(msgpackDeserializer(stored.subarray(HEADER_SIZE))).to.deep.equal(value);
    expect(await region.get('k')).to.deep.equal(value);
  });

  it('a region serializer makes even the memory backend store bytes', async () => {
    const region = makeRegion({
      serializer: (payload) => Buffer.from(JSON.stringify(payload)),
      deserializer: (bytes) => JSON.parse(Buffer.from(bytes).toString()),
    }).configure('memory');
    await region.set('k', { foo: ['bar', 1, false, null] });
    const stored = (await region.backend.get('k')) as Uint8Array;
    expect(Buffer.from(stored.subarray(HEADER_SIZE)).toString()).to.equal('{"foo":["bar",1,false,null]}');
    expect(readHeader(stored)!.flags & 1).to.equal(1);
    expect(await region.get('k')).to.deep.equal({ foo: ['bar', 1, false, null] });
  });

  it('a deserializer error of any kind is a miss and an event, and the value is regenerated', async () => {
    const region = makeRegion({
      serializer: msgpackSerializer,
      deserializer: () => {
        throw new CantDeserializeError('no');
      },
    }).configure('memory');
    const events: Array<{ key: string; error: unknown }> = [];
    region.on('deserializeError', (event) => events.push(event));
    await region.set('k', 1);
    expect(await region.get('k')).to.equal(NO_VALUE);
    expect(events[0]!.key).to.equal('k');
    expect(events[0]!.error).to.be.instanceOf(CantDeserializeError);
    expect(await region.getOrCreate('k', () => 2)).to.equal(2);
  });

  it('untrusted bytes cannot pollute prototypes', async () => {
    const region = makeRegion().configure('memory-serialized');
    const hostile = msgpackSerializer(JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'));
    await region.backend.set('evil', encodeEnvelope(Date.now(), hostile));
    const value = (await region.get('evil')) as Record<string, unknown>;
    expect(value).to.not.equal(NO_VALUE);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    expect(Object.getPrototypeOf(value)).to.equal(Object.prototype);
    expect((value as { polluted?: unknown }).polluted).to.equal(undefined);
  });

  it('truncated msgpack bytes are a miss, not a crash', async () => {
    const region = makeRegion().configure('memory-serialized');
    const full = msgpackSerializer({ a: 'x'.repeat(50) });
    await region.backend.set('cut', encodeEnvelope(Date.now(), full.subarray(0, 10)));
    expect(await region.get('cut')).to.equal(NO_VALUE);
    expect(region.stats().deserializeErrors).to.equal(1);
  });
});

describe('decoding once per stored version', () => {
  it('a byte-storing backend: unchanged bytes are decoded once and callers share the value; new bytes are decoded', async () => {
    let decoded = 0;
    const region = makeRegion({
      serializer: msgpackSerializer,
      deserializer: (bytes) => {
        decoded++;
        return msgpackDeserializer(bytes);
      },
    }).configure('memory');
    await region.set('k', { n: 1 });
    const first = await region.get('k');
    const second = await region.get('k');
    expect(first).to.deep.equal({ n: 1 });
    expect(second).to.equal(first);
    expect(decoded).to.equal(1);
    await region.set('k', { n: 2 });
    expect(await region.get('k')).to.deep.equal({ n: 2 });
    expect(decoded).to.equal(2);
  });

  it('memory-serialized promises fresh copies: every read decodes', async () => {
    const region = makeRegion().configure('memory-serialized');
    await region.set('k', { n: 1 });
    const first = await region.get('k');
    const second = await region.get('k');
    expect(second).to.deep.equal(first);
    expect(second).to.not.equal(first);
  });
});
