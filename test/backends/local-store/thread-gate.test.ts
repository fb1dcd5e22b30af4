import { expect } from 'chai';
import { threadId } from 'node:worker_threads';
import { GATE_SLOT_BYTES, SlotGate, gateHash, newGateObservation } from '../../../src/backends/local-store/index.js';

const SLOTS = 64;

/** Pretends another thread of this process sits in the slot of `key`. */
function occupy(buffer: ArrayBuffer, key: string, owner: number, deadline: number, hash = gateHash(key)): void {
  const slot = gateHash(key) & (SLOTS - 1);
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

  it('another thread on the same key: busy while its lease runs; taken over when a second look finds it expired', () => {
    const buffer = new ArrayBuffer(SLOTS * GATE_SLOT_BYTES);
    const gate = new SlotGate(buffer);
    const seen = newGateObservation();
    occupy(buffer, 'k', threadId + 100, Date.now() + 60_000);
    expect(gate.enter('k', 1_000, seen)).to.equal('busy');
    expect(gate.enter('k', 1_000, seen)).to.equal('busy');
    occupy(buffer, 'k', threadId + 100, Date.now() - 1);
    // The first look at an expired deadline may be a claim not stamped yet: busy.
    expect(gate.enter('k', 1_000, seen)).to.equal('busy');
    expect(gate.enter('k', 1_000, seen)).to.be.an('object');
  });

  it('a slot just claimed, still showing its previous occupant, is busy, not bypassed or stolen', () => {
    const buffer = new ArrayBuffer(SLOTS * GATE_SLOT_BYTES);
    const gate = new SlotGate(buffer);
    // Claimed (owner set) with the previous occupant's hash and an old deadline.
    occupy(buffer, 'k', threadId + 100, Date.now() - 5_000, gateHash('other'));
    const seen = newGateObservation();
    expect(gate.enter('k', 1_000, seen)).to.equal('busy');
    // The claimer stamps its slot; the next look sees a live claim for this key.
    occupy(buffer, 'k', threadId + 100, Date.now() + 60_000);
    expect(gate.enter('k', 1_000, seen)).to.equal('busy');
  });

  it('a colliding key (on a second look), or this thread already in the slot: go to the record directly', () => {
    const buffer = new ArrayBuffer(SLOTS * GATE_SLOT_BYTES);
    const gate = new SlotGate(buffer);
    const seen = newGateObservation();
    occupy(buffer, 'k', threadId + 100, Date.now() + 60_000, gateHash('k') ^ (SLOTS * 4));
    expect(gate.enter('k', 1_000, seen)).to.equal('busy');
    expect(gate.enter('k', 1_000, seen)).to.equal('bypass');
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
