// When a store is swept: on a timer (unref'd, so it never keeps a process alive) and after every
// so many writes of this process. The sweep itself runs synchronously on the thread that
// triggered it; a sweep already running on this thread is never started twice.

export interface SweepSchedule {
  /** Timer period in ms; `Infinity` for no timer. */
  readonly intervalMs: number;
  /** Writes of this process between two checks. */
  readonly checkEveryWrites: number;
}

export class SweepScheduler {
  private writes = 0;
  private running = false;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly sweep: (reason: 'writes' | 'timer') => void,
    private readonly schedule: SweepSchedule,
  ) {
    if (Number.isFinite(schedule.intervalMs) && schedule.intervalMs > 0) {
      this.timer = setInterval(() => this.run('timer'), Math.min(schedule.intervalMs, 2 ** 31 - 1));
      this.timer.unref();
    }
  }

  /** Counts writes; crossing the threshold runs a check now. */
  noteWrites(count: number): void {
    this.writes += count;
    if (this.writes >= this.schedule.checkEveryWrites) {
      this.writes = 0;
      this.run('writes');
    }
  }

  run(reason: 'writes' | 'timer'): void {
    if (this.running) return;
    this.running = true;
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
}
