// The per-process thread gate over lmdb's user shared buffer: lmdb-js hands every thread of a
// process that opens the same environment the same memory for a given id (it is not shared with
// other processes). Threads use it to agree on which one of them polls a key's lock record.
// The buffer is a plain ArrayBuffer, not a SharedArrayBuffer: `Atomics.compareExchange` works on
// it, `Atomics.wait` does not, which is why gate waiters sleep instead of waiting on a word.
import { GATE_SLOT_BYTES, SlotGate } from '../local-store/index.js';
import type { BinaryDatabase } from './environment.js';

const GATE_ID = 'dogpile:thread-gate';
const GATE_SLOTS = 4096;

export function openThreadGate(locks: BinaryDatabase): SlotGate {
  const shared = (locks as unknown as { getUserSharedBuffer(id: string, initial: ArrayBuffer): ArrayBuffer }).getUserSharedBuffer(
    GATE_ID,
    new ArrayBuffer(GATE_SLOTS * GATE_SLOT_BYTES),
  );
  return new SlotGate(shared);
}
