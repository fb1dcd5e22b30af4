// Key layout: values, locks and fencing records never collide, and on a cluster the three keys of
// one region key always share a hash slot.
import { expect } from 'chai';
import fc from 'fast-check';
import { HashTaggedKeyLayout, PlainKeyLayout, hashSlot, hashTagOf } from '../../../src/backends/redis/keys.js';

/** Redis' own rule: the slot is decided by the text between the first `{` and the next `}`, when not empty. */
function redisHashInput(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

describe('redis key layout', () => {
  it('names values, locks and fencing records under the prefix', () => {
    const layout = new PlainKeyLayout('app:', '_lock');
    expect(layout.dataKey('user:1')).to.equal('app:user:1');
    expect(layout.lockKey('user:1')).to.equal('app:_lock:user:1');
    expect(layout.fenceKey('user:1')).to.equal('app:_lock#user:1');
    expect(layout.releaseChannel).to.equal('app:_lock!released');
  });

  it('a lock key is never another key\'s fencing record, and each family is injective', () => {
    const layout = new PlainKeyLayout('p:', '_lock');
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(layout.lockKey(a)).to.not.equal(layout.fenceKey(b));
        if (a !== b) {
          expect(layout.dataKey(a)).to.not.equal(layout.dataKey(b));
          expect(layout.lockKey(a)).to.not.equal(layout.lockKey(b));
          expect(layout.fenceKey(a)).to.not.equal(layout.fenceKey(b));
        }
      }),
    );
  });

  it('slot of CRC16 test vector "123456789" is 0x31C3 mod 16384', () => {
    expect(hashSlot('123456789')).to.equal(0x31c3 % 16384);
    expect(hashSlot('')).to.equal(0);
  });

  it('cluster: the value, lock and fencing record of any key hash to the same slot', () => {
    const layout = new HashTaggedKeyLayout('app:', '_lock');
    fc.assert(
      fc.property(fc.string(), (key) => {
        const slots = [layout.dataKey(key), layout.lockKey(key), layout.fenceKey(key)].map((name) => hashSlot(redisHashInput(name)));
        expect(new Set(slots).size).to.equal(1);
        expect(slots[0]).to.equal(hashSlot(hashTagOf(key)));
      }),
      { numRuns: 500 },
    );
  });

  it('cluster: a key with its own hash tag keeps it, so users can co-locate keys', () => {
    expect(hashTagOf('user:{42}:profile')).to.equal('42');
    expect(hashTagOf('user:{42}:orders')).to.equal('42');
    expect(hashTagOf('plain')).to.match(/^[0-9a-f]{8}$/);
    expect(hashTagOf('{}empty-tag')).to.match(/^[0-9a-f]{8}$/);
    const layout = new HashTaggedKeyLayout('', '_lock');
    expect(layout.groupForMultiKey(['user:{42}:a', 'user:{42}:b', 'user:{7}:c'])).to.deep.equal([[0, 1], [2]]);
  });

  it('cluster: groupForMultiKey covers every index exactly once, grouped by slot', () => {
    const layout = new HashTaggedKeyLayout('p:', '_lock');
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 40 }), (keys) => {
        const groups = layout.groupForMultiKey(keys);
        expect(groups.flat().sort((a, b) => a - b)).to.deep.equal(keys.map((_, index) => index));
        for (const group of groups) expect(new Set(group.map((index) => hashSlot(hashTagOf(keys[index]!)))).size).to.equal(1);
      }),
    );
  });
});
