import { expect } from 'chai';
import { threadId } from 'node:worker_threads';
import { GATE_SLOT_BYTES, SlotGate, gateHash } from '../../../src/backends/local-store/index.js';

const SLOTS = 64;

/** Pretends another thread of this process sits in the slot of `key`. */
function occupy(buffer: ArrayBuffer, key: string, owner: number, deadline: number, hash = gateHash(key)): void {
  const slot = hash & (SLOTS - 1);
  new Int32Array(buffer, 0, SLOTS)[slot] = owner;
  new Int32Array(buffer, SLOTS * 4, SLOTS)[slot] = hash;
  new Float64Array(buffer, SLOTS * 8, SLOTS)[slot] = deadline;
}

describe('local-store: the per-process thread gate', () => {
  it('the first thread enters; leaving frees the slot', () => {
    const buffer = new ArrayBuffer(SLOTS * GATE_SLOT_BYTES);
    const gate = new SlotGate(buffer);
    const ticket = gate.enter('k', 1_000);
    expect(ticket).to.be.an('object');
    expect(new Int32Array(buffer, 0, SLOTS)[(ticket as { slot: number }).slot]).to.equal(threadId + 1);
    gate.leave(ticket as { slot: number; hash: number });
    expect(gate.enter('k', 1_000)).to.be.an('object');
  });

  it('another thread on the same key: busy while its lease runs, taken over after', () => {
    const buffer = new ArrayBuffer(SLOTS * GATE_SLOT_BYTES);
    const gate = new SlotGate(buffer);
    occupy(buffer, 'k', threadId + 100, Date.now() + 60_000);
    expect(gate.enter('k', 1_000)).to.equal('busy');
    occupy(buffer, 'k', threadId + 100, Date.now() - 1);
    expect(gate.enter('k', 1_000)).to.be.an('object');
  });

  it('a colliding key, or this thread already in the slot: go to the record directly', () => {
    const buffer = new ArrayBuffer(SLOTS * GATE_SLOT_BYTES);
    const gate = new SlotGate(buffer);
    occupy(buffer, 'k', threadId + 100, Date.now() + 60_000, gateHash('k') ^ (SLOTS * 4));
    expect(gate.enter('k', 1_000)).to.equal('bypass');
    const fresh = new SlotGate(new ArrayBuffer(SLOTS * GATE_SLOT_BYTES));
    expect(fresh.enter('k', 1_000)).to.be.an('object');
    expect(fresh.enter('k', 1_000)).to.equal('bypass');
  });

  it('leaving a slot that was taken over leaves the new occupant alone', () => {
    const buffer = new ArrayBuffer(SLOTS * GATE_SLOT_BYTES);
    const gate = new SlotGate(buffer);
    const ticket = gate.enter('k', 1_000) as { slot: number; hash: number };
    occupy(buffer, 'k', threadId + 100, Date.now() + 60_000);
    gate.leave(ticket);
    expect(new Int32Array(buffer, 0, SLOTS)[ticket.slot]).to.equal(threadId + 100);
  });

  it('rejects a buffer that is not a power-of-two number of slots', () => {
    expect(() => new SlotGate(new ArrayBuffer(3 * GATE_SLOT_BYTES))).to.throw(RangeError);
    expect(() => new SlotGate(new ArrayBuffer(0))).to.throw(RangeError);
  });
});
