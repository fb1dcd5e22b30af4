// Polling delays for a lock waiter: start near 1 ms (a creation that is about to finish is
// noticed at once), grow by half each round up to a ceiling, and jitter every delay by ±50 % so
// that waiters in different processes do not poll in lockstep.

const FIRST_DELAY_MS = 1;
const GROWTH = 1.5;

export class Backoff {
  private base = FIRST_DELAY_MS;

  constructor(private readonly maxDelayMs: number) {}

  /** The next delay, never longer than `remainingMs` and never below 1 ms. */
  next(remainingMs: number): number {
    const delay = this.base * (0.5 + Math.random());
    this.base = Math.min(this.base * GROWTH, this.maxDelayMs);
    return Math.max(1, Math.min(delay, this.maxDelayMs, remainingMs));
  }
}
