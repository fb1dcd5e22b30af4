// When a store is swept: after every so many writes of this thread, and periodically. The sweep
// itself runs synchronously on the thread that triggered it; a sweep already running on this
// thread is never started twice.
//
// The periodic sweep normally runs on a timer (unref'd, so it never keeps a process alive). A
// thread that may be terminated while idle (a worker of a pool) must not write from a timer: a
// thread terminated inside a native write aborts the whole process with lmdb. Such a thread runs
// the periodic sweep at its first write check once the interval has passed, that is only while it
// is working anyway.

/** Why a sweep check runs: writes crossed the threshold, or the periodic sweep is due. */
export type SweepReason = 'writes' | 'periodic';

export interface SweepSchedule {
  /** Period of the periodic sweep in ms; `Infinity` for none. */
  readonly intervalMs: number;
  /** Writes of this thread between two checks. */
  readonly checkEveryWrites: number;
  /** Whether the periodic sweep runs on a timer, or at the first write check after each period. */
  readonly onTimer: boolean;
}

export class SweepScheduler {
  private writes = 0;
  private running = false;
  private lastPeriodic = Date.now();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly sweep: (reason: SweepReason) => void,
    private readonly schedule: SweepSchedule,
  ) {
    if (schedule.onTimer && Number.isFinite(schedule.intervalMs) && schedule.intervalMs > 0) {
      this.timer = setInterval(() => this.run('periodic'), Math.min(schedule.intervalMs, 2 ** 31 - 1));
      this.timer.unref();
    }
  }

  /** Counts writes; crossing the threshold runs a check now. */
  noteWrites(count: number): void {
    this.writes += count;
    if (this.writes >= this.schedule.checkEveryWrites) {
      this.writes = 0;
      this.run(this.periodicDueInline() ? 'periodic' : 'writes');
    }
  }

  run(reason: SweepReason): void {
    if (this.running) return;
    this.running = true;
    if (reason === 'periodic') this.lastPeriodic = Date.now();
    try {
      this.sweep(reason);
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private periodicDueInline(): boolean {
    return !this.schedule.onTimer && Date.now() - this.lastPeriodic >= this.schedule.intervalMs;
  }
}
