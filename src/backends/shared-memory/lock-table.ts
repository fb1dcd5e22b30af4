import { Header, HeaderF64, LOCK_WORDS, type TableViews } from './layout.js';

/**
 * The shared table of creation locks, separate from the entries so a key can be locked before it
 * has a value (a cold key) and an eviction never drops a held lock.
 *
 * A lock record is two 64-bit words:
 * - the lock word, `key hash << 32 | token`, 0 when free: taken and released with a single
 *   `Atomics.compareExchange`, and the word waiters sleep on (`Atomics.wait`/`waitAsync`);
 * - the lease word, `token << 32 | deadline`, where the deadline is milliseconds since the table's
 *   time base modulo 2^32 (compared as a signed difference, valid for leases up to ~24 days).
 *
 * A key's record is looked for in a window of `WINDOW` consecutive records starting at its hash.
 * The whole window is always scanned (records come and go, so there is no "stop at empty" rule);
 * a claimant re-scans after claiming and backs off if another record in the window holds the same
 * key, so two claimants that raced to different records can never both hold the key.
 * Two keys whose 32-bit hashes are equal share a lock (one in 4 billion per pair).
 */
export const WINDOW = 16;
const LOW32 = 0xffffffffn;

/** `Atomics.waitAsync` (Node 20) is not in the ES2023 library typings this project compiles against. */
interface AtomicsWaitAsync {
  waitAsync(
    array: BigInt64Array,
    index: number,
    value: bigint,
    timeoutMs: number,
  ): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
}
const atomicsWaitAsync = Atomics as unknown as AtomicsWaitAsync;
const CLAIM_ROUNDS = 8;

export type ClaimResult =
  | { readonly kind: 'acquired'; readonly slot: number; readonly lease: bigint; readonly tookOver: boolean }
  /** Someone holds the key (or the window is full): wait on `slot` while its lock word is `word`. */
  | { readonly kind: 'busy'; readonly slot: number; readonly word: bigint };

/** What a waiter remembers about the holder it waits for, to detect a holder that never wrote a lease. */
export interface HolderObservation {
  slot: number;
  word: bigint;
  since: number;
}

export function newObservation(): HolderObservation {
  return { slot: -1, word: 0n, since: 0 };
}

export class LockTable {
  private readonly locks: BigInt64Array;
  private readonly header: Int32Array;
  private readonly mask: number;
  private readonly timeBase: number;

  constructor(
    views: TableViews,
    readonly leaseMs: number,
  ) {
    this.locks = views.locks;
    this.header = views.header;
    this.mask = views.params.lockSlots - 1;
    this.timeBase = views.headerF64[HeaderF64.timeBase]!;
  }

  /** A token for one acquisition: unique among live holders (32-bit counter, never 0). */
  newToken(): number {
    for (;;) {
      const token = (Atomics.add(this.header, Header.lockTokenCounter, 1) + 1) >>> 0;
      if (token !== 0) return token;
    }
  }

  /** Tries once to take the lock of `hash`; a takeover of an expired holder counts as taking it. */
  claim(hash: number, token: number, observation?: HolderObservation): ClaimResult {
    const keyPart = BigInt(hash >>> 0);
    const mine = BigInt.asIntN(64, (keyPart << 32n) | BigInt(token));
    const start = hash & this.mask;
    let lastSeen: ClaimResult = { kind: 'busy', slot: start, word: Atomics.load(this.locks, start * LOCK_WORDS) };
    for (let round = 0; round < CLAIM_ROUNDS; round++) {
      let held = -1;
      let heldWord = 0n;
      let empty = -1;
      for (let i = 0; i < WINDOW; i++) {
        const slot = (start + i) & this.mask;
        const word = Atomics.load(this.locks, slot * LOCK_WORDS);
        if (word === 0n) {
          if (empty < 0) empty = slot;
        } else if (BigInt.asUintN(64, word) >> 32n === keyPart) {
          held = slot;
          heldWord = word;
          break;
        }
      }
      if (held >= 0) {
        if (!this.expired(held, heldWord, observation)) return { kind: 'busy', slot: held, word: heldWord };
        if (Atomics.compareExchange(this.locks, held * LOCK_WORDS, heldWord, mine) === heldWord) {
          const lease = this.writeLease(held, token);
          Atomics.notify(this.locks, held * LOCK_WORDS);
          return { kind: 'acquired', slot: held, lease, tookOver: true };
        }
        continue;
      }
      if (empty < 0) {
        // Every record of the window holds another key: wait for the first one to change.
        lastSeen = { kind: 'busy', slot: start, word: Atomics.load(this.locks, start * LOCK_WORDS) };
        if (lastSeen.word === 0n) continue;
        return lastSeen;
      }
      if (Atomics.compareExchange(this.locks, empty * LOCK_WORDS, 0n, mine) !== 0n) continue;
      const lease = this.writeLease(empty, token);
      const rival = this.otherHolder(keyPart, start, empty);
      if (rival !== undefined) {
        if (Atomics.compareExchange(this.locks, empty * LOCK_WORDS, mine, 0n) === mine) Atomics.notify(this.locks, empty * LOCK_WORDS);
        return rival;
      }
      return { kind: 'acquired', slot: empty, lease, tookOver: false };
    }
    return lastSeen;
  }

  /** Pushes the deadline of a held lock forward; false when the lock is no longer this holder's. */
  renew(slot: number, hash: number, token: number, lease: bigint): bigint | undefined {
    if (!this.holds(slot, hash, token)) return undefined;
    const next = this.leaseWord(token, this.nowOffset() + this.leaseMs);
    if (Atomics.compareExchange(this.locks, slot * LOCK_WORDS + 1, lease, next) !== lease) return undefined;
    return next;
  }

  /** Frees a held lock and wakes its waiters; false when it had already been taken over. */
  release(slot: number, hash: number, token: number): boolean {
    const mine = BigInt.asIntN(64, (BigInt(hash >>> 0) << 32n) | BigInt(token));
    if (Atomics.compareExchange(this.locks, slot * LOCK_WORDS, mine, 0n) !== mine) return false;
    Atomics.notify(this.locks, slot * LOCK_WORDS);
    return true;
  }

  holds(slot: number, hash: number, token: number): boolean {
    const mine = BigInt.asIntN(64, (BigInt(hash >>> 0) << 32n) | BigInt(token));
    return Atomics.load(this.locks, slot * LOCK_WORDS) === mine;
  }

  /** Whether anyone holds the lock of `hash` with a lease that has not run out. */
  isLocked(hash: number): boolean {
    const keyPart = BigInt(hash >>> 0);
    const start = hash & this.mask;
    for (let i = 0; i < WINDOW; i++) {
      const slot = (start + i) & this.mask;
      const word = Atomics.load(this.locks, slot * LOCK_WORDS);
      if (word !== 0n && BigInt.asUintN(64, word) >> 32n === keyPart && !this.expired(slot, word, undefined)) return true;
    }
    return false;
  }

  /**
   * Sleeps until the record's lock word changes from `word`, `timeoutMs` passes, or a notify.
   * Blocks the thread (synchronous API).
   */
  waitSync(slot: number, word: bigint, timeoutMs: number): void {
    Atomics.wait(this.locks, slot * LOCK_WORDS, word, timeoutMs);
  }

  /**
   * Waits like `waitSync` without blocking. V8 settles a timed-out `Atomics.waitAsync` from a task
   * that does not keep the event loop alive and can run late, so a thread with nothing else to do
   * could end with the wait still pending. A ref'd timer of the same length ends the wait instead
   * and keeps the loop alive until it does.
   */
  async waitAsync(slot: number, word: bigint, timeoutMs: number): Promise<void> {
    const waiting = atomicsWaitAsync.waitAsync(this.locks, slot * LOCK_WORDS, word, timeoutMs);
    if (!waiting.async) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.ceil(timeoutMs))));
    try {
      await Promise.race([waiting.value, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private otherHolder(keyPart: bigint, start: number, except: number): ClaimResult | undefined {
    for (let i = 0; i < WINDOW; i++) {
      const slot = (start + i) & this.mask;
      if (slot === except) continue;
      const word = Atomics.load(this.locks, slot * LOCK_WORDS);
      if (word !== 0n && BigInt.asUintN(64, word) >> 32n === keyPart) return { kind: 'busy', slot, word };
    }
    return undefined;
  }

  /**
   * Whether the holder's lease ran out. When the lease word does not carry the holder's token
   * (it died between claiming and writing its lease), the waiter's own observation decides: the
   * same holder for a whole lease counts as expired.
   */
  private expired(slot: number, word: bigint, observation: HolderObservation | undefined): boolean {
    const token = BigInt.asUintN(64, word) & LOW32;
    const lease = BigInt.asUintN(64, Atomics.load(this.locks, slot * LOCK_WORDS + 1));
    if (lease >> 32n === token) {
      const deadline = Number(lease & LOW32) | 0;
      return ((this.nowOffset() - deadline) | 0) > 0;
    }
    if (observation === undefined) return false;
    const now = Date.now();
    if (observation.slot !== slot || observation.word !== word) {
      observation.slot = slot;
      observation.word = word;
      observation.since = now;
      return false;
    }
    return now - observation.since > this.leaseMs;
  }

  private writeLease(slot: number, token: number): bigint {
    const lease = this.leaseWord(token, this.nowOffset() + this.leaseMs);
    Atomics.store(this.locks, slot * LOCK_WORDS + 1, lease);
    return lease;
  }

  private leaseWord(token: number, deadline: number): bigint {
    return BigInt.asIntN(64, (BigInt(token >>> 0) << 32n) | BigInt(deadline >>> 0));
  }

  private nowOffset(): number {
    return (Date.now() - this.timeBase) | 0;
  }
}
