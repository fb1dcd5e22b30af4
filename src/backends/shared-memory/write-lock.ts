import { Header } from './layout.js';

/**
 * Serializes every change to the table (index, entry records, allocator) across threads. Readers
 * never take it. Critical sections are short (a probe, an allocation, a copy), so a contender
 * spins briefly and then sleeps with `Atomics.wait`; the releaser notifies only when someone sleeps.
 *
 * The lock word holds the holder's ticket (a number unique to that acquisition). A thread that is
 * terminated inside a critical section leaves the word set forever; a waiter that sees the same
 * ticket for `STALE_WRITER_MS` takes the lock over and reports `recovered`, and the caller rebuilds
 * the table empty, because the dead writer may have left it half-changed (for a cache, empty is
 * always a correct state).
 */
export const STALE_WRITER_MS = 2_000;
const SPINS = 64;
const SLEEP_SLICE_MS = 20;

export class WriteLock {
  private ticket = 0;

  constructor(
    private readonly header: Int32Array,
    private readonly staleAfterMs: number = STALE_WRITER_MS,
  ) {}

  /**
   * Takes the lock, waiting as long as a live holder keeps it. Returns `true` when the previous
   * holder was presumed dead and the table must be rebuilt.
   */
  acquire(): boolean {
    const ticket = this.nextTicket();
    if (Atomics.compareExchange(this.header, Header.writeLock, 0, ticket) === 0) {
      this.ticket = ticket;
      return false;
    }
    return this.acquireContended(ticket);
  }

  release(): void {
    const ticket = this.ticket;
    this.ticket = 0;
    // A failed exchange means this holder was presumed dead and replaced; the new holder owns it.
    if (Atomics.compareExchange(this.header, Header.writeLock, ticket, 0) !== ticket) return;
    if (Atomics.load(this.header, Header.writeLockWaiters) > 0) Atomics.notify(this.header, Header.writeLock, 1);
  }

  get held(): boolean {
    return this.ticket !== 0;
  }

  private nextTicket(): number {
    let ticket = Atomics.add(this.header, Header.writeLockTicket, 1) + 1;
    if (ticket === 0) ticket = Atomics.add(this.header, Header.writeLockTicket, 1) + 1;
    return ticket;
  }

  private acquireContended(ticket: number): boolean {
    let observed = Atomics.load(this.header, Header.writeLock);
    let observedSince = Date.now();
    for (let spin = 0; spin < SPINS; spin++) {
      if (observed === 0 && Atomics.compareExchange(this.header, Header.writeLock, 0, ticket) === 0) {
        this.ticket = ticket;
        return false;
      }
      observed = Atomics.load(this.header, Header.writeLock);
    }
    Atomics.add(this.header, Header.writeLockWaiters, 1);
    try {
      for (;;) {
        const current = Atomics.load(this.header, Header.writeLock);
        if (current === 0) {
          if (Atomics.compareExchange(this.header, Header.writeLock, 0, ticket) === 0) {
            this.ticket = ticket;
            return false;
          }
          continue;
        }
        if (current !== observed) {
          observed = current;
          observedSince = Date.now();
        } else if (Date.now() - observedSince >= this.staleAfterMs) {
          if (Atomics.compareExchange(this.header, Header.writeLock, current, ticket) === current) {
            Atomics.add(this.header, Header.recoveries, 1);
            this.ticket = ticket;
            return true;
          }
          continue;
        }
        Atomics.wait(this.header, Header.writeLock, current, SLEEP_SLICE_MS);
      }
    } finally {
      Atomics.sub(this.header, Header.writeLockWaiters, 1);
    }
  }
}
