// The per-process thread gate over lmdb's per-process shared memory (`processSharedBuffer`):
// threads use it to agree on which one of them polls a key's lock record. `Atomics.wait` does not
// work on that buffer, which is why gate waiters sleep instead of waiting on a word.
import { GATE_SLOT_BYTES, SlotGate } from '../local-store/index.js';
import { processSharedBuffer, type BinaryDatabase } from './environment.js';

const GATE_ID = 'dogpile:thread-gate';
const GATE_SLOTS = 4096;

export function openThreadGate(locks: BinaryDatabase): SlotGate {
  return new SlotGate(processSharedBuffer(locks, GATE_ID, GATE_SLOTS * GATE_SLOT_BYTES));
}
