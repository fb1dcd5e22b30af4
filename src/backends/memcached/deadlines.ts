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
 * so a FIFO queue and one timer cover them all (a timer per operation costs more than the rest
 * of the client-side work of a `get`). Settled operations are dropped from the front as soon as
 * they get there; the timer runs only while something is pending, and keeps the process alive
 * then, as an operation in flight should.
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
    if (this.head === this.queue.length && this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
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
