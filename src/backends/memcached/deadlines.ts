/** One operation waiting for its answer. */
export interface PendingOperation {
  /** `performance.now()` time: immune to wall-clock jumps. */
  readonly deadline: number;
  settled: boolean;
  /** Called once when the deadline passes before the operation settled. */
  readonly expire: () => void;
}

/**
 * Deadlines for operations that all share one timeout: they expire in the order they started,
 * so a FIFO queue and one timer cover them all (a timer per operation was a measurable share of
 * a `get`'s client-side cost). Settled operations are dropped from the front as soon as they get
 * there. The timer keeps the process alive while an operation is in flight, as it should, and for
 * at most one timeout after the last one (the connection's open sockets do so anyway).
 */
export class DeadlineQueue {
  private queue: PendingOperation[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  /** Starts the clock on an operation; call `settle` when it finishes. */
  start(expire: () => void): PendingOperation {
    const pending: PendingOperation = { deadline: performance.now() + this.timeoutMs, settled: false, expire };
    this.queue.push(pending);
    if (this.timer === undefined) this.schedule(this.timeoutMs);
    return pending;
  }

  settle(pending: PendingOperation): void {
    pending.settled = true;
    if (this.queue[this.head] === pending) this.dropSettled();
  }

  /** Operations not yet settled or expired (for tests). */
  get size(): number {
    let count = 0;
    for (let index = this.head; index < this.queue.length; index++) if (!this.queue[index]!.settled) count++;
    return count;
  }

  /** Entries still held in the queue, settled or not (for tests). */
  get retained(): number {
    return this.queue.length - this.head;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => this.sweep(), Math.max(0, delayMs));
  }

  private sweep(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.head < this.queue.length) {
      const pending = this.queue[this.head]!;
      if (!pending.settled) {
        if (pending.deadline > now) break;
        pending.settled = true;
        pending.expire();
      }
      this.head++;
    }
    this.compact();
    if (this.head < this.queue.length) this.schedule(this.queue[this.head]!.deadline - now);
  }

  private dropSettled(): void {
    while (this.head < this.queue.length && this.queue[this.head]!.settled) this.head++;
    this.compact();
    // The timer stays armed when the queue empties: re-arming it for every sequential operation
    // would cost more than letting it fire once, find nothing and stop. `stop()` clears it.
  }

  /** Clears the timer (when the connection closes, after the last operation settled). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
