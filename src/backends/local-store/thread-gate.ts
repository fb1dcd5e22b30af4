// Threads of one process agree among themselves before they touch a cross-process lock record,
// so that only one thread per process polls the record of a key. The gate is a table in memory
// shared by the threads of this process only (lmdb hands every thread of a process the same
// buffer for one environment); a key hashes to a slot that names the thread currently
// representing the process for that key.
//
// The gate is advisory. Mutual exclusion comes from the lock record alone; the gate only keeps
// the other threads of the process away from it. The owner word changes atomically; the key hash
// and lease deadline next to it are plain writes that follow the claim, so a thread may catch a
// slot just claimed with its previous occupant's hash or deadline. Such a look only ever answers
// "busy"; a slot is bypassed (two keys share it) or taken over (its thread stopped refreshing it,
// e.g. was terminated) only when a second look, one poll later, still shows the same owner with
// the same foreign hash or the same expired deadline. Any mistake left costs a little contention
// on the record, never a second owner.
import { threadId } from 'node:worker_threads';

/** Proof of having entered the gate for a key. */
export interface GateTicket {
  readonly slot: number;
  readonly hash: number;
}

/** What a waiter saw of a busy slot last time, kept by the waiter between its looks. */
export interface GateObservation {
  slot: number;
  owner: number;
  hash: number;
  deadline: number;
}

export function newGateObservation(): GateObservation {
  return { slot: -1, owner: 0, hash: 0, deadline: 0 };
}

export interface ThreadGate {
  /**
   * A ticket when this thread now represents the process for `key`; `'busy'` when another thread
   * of this process does (wait and try again); `'bypass'` when the slot belongs to another key
   * (go to the record directly). `seen` carries what the previous look at the slot found.
   */
  enter(key: string, leaseMs: number, seen?: GateObservation): GateTicket | 'busy' | 'bypass';
  /** Pushes the ticket's lease forward while its holder is still waiting or creating. */
  refresh(ticket: GateTicket, leaseMs: number): void;
  leave(ticket: GateTicket): void;
}

/** Bytes per slot: an Int32 owner, an Int32 key hash and a Float64 lease deadline. */
export const GATE_SLOT_BYTES = 16;

/** FNV-1a over UTF-16 code units; never 0 so that 0 can mean "no key". */
export function gateHash(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0 || 1;
}

/**
 * The gate over a buffer of `slots × 16` bytes (`slots` a power of two), zero-filled when first
 * created. Owner words are changed with `Atomics.compareExchange`; the other fields are plain
 * writes, which is enough for an advisory table.
 */
export class SlotGate implements ThreadGate {
  private readonly owners: Int32Array;
  private readonly hashes: Int32Array;
  private readonly deadlines: Float64Array;
  private readonly mask: number;
  /** 0 means a free slot, so thread ids are stored plus one. */
  private readonly me = threadId + 1;

  constructor(buffer: ArrayBuffer) {
    const slots = buffer.byteLength / GATE_SLOT_BYTES;
    if (!Number.isInteger(slots) || slots < 1 || (slots & (slots - 1)) !== 0) {
      throw new RangeError(`A thread gate needs a power-of-two number of ${GATE_SLOT_BYTES}-byte slots; got ${buffer.byteLength} bytes.`);
    }
    this.owners = new Int32Array(buffer, 0, slots);
    this.hashes = new Int32Array(buffer, slots * 4, slots);
    this.deadlines = new Float64Array(buffer, slots * 8, slots);
    this.mask = slots - 1;
  }

  enter(key: string, leaseMs: number, seen: GateObservation = newGateObservation()): GateTicket | 'busy' | 'bypass' {
    const hash = gateHash(key);
    const slot = hash & this.mask;
    const owner = Atomics.compareExchange(this.owners, slot, 0, this.me);
    if (owner === 0) return this.claim(slot, hash, leaseMs);
    // This thread already holds the slot (another region over the same storage, or a colliding
    // key): the region's own single flight covers this thread, so go straight to the record.
    if (owner === this.me) return 'bypass';
    const slotHash = this.hashes[slot]!;
    const deadline = this.deadlines[slot]!;
    const sameAsBefore = seen.slot === slot && seen.owner === owner && seen.hash === slotHash && seen.deadline === deadline;
    seen.slot = slot;
    seen.owner = owner;
    seen.hash = slotHash;
    seen.deadline = deadline;
    if (slotHash !== hash) return sameAsBefore ? 'bypass' : 'busy';
    if (deadline > Date.now() || !sameAsBefore) return 'busy';
    // The representing thread stopped refreshing its slot (it was terminated): take its place.
    if (Atomics.compareExchange(this.owners, slot, owner, this.me) === owner) return this.claim(slot, hash, leaseMs);
    return 'busy';
  }

  refresh(ticket: GateTicket, leaseMs: number): void {
    if (Atomics.load(this.owners, ticket.slot) === this.me) this.deadlines[ticket.slot] = Date.now() + leaseMs;
  }

  leave(ticket: GateTicket): void {
    // Fails harmlessly when the slot was taken over in the meantime.
    Atomics.compareExchange(this.owners, ticket.slot, this.me, 0);
  }

  private claim(slot: number, hash: number, leaseMs: number): GateTicket {
    this.hashes[slot] = hash;
    this.deadlines[slot] = Date.now() + leaseMs;
    return { slot, hash };
  }
}
