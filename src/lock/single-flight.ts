/** How waiting for another caller's creation in this thread ended. */
export type JoinOutcome<T> = { readonly settled: 'value'; readonly value: T } | { readonly settled: 'failed' | 'timeout' };

/**
 * The creations under way in this thread, one per key: concurrent callers share one promise
 * before any cross-thread lock is touched.
 */
export class SingleFlight {
  private readonly running = new Map<string, Promise<unknown>>();

  get<T>(key: string): Promise<T> | undefined {
    return this.running.get(key) as Promise<T> | undefined;
  }

  has(key: string): boolean {
    return this.running.has(key);
  }

  /** Records `creation` for `key` until it settles. */
  track(key: string, creation: Promise<unknown>): void {
    this.running.set(key, creation);
    const clear = (): void => {
      if (this.running.get(key) === creation) this.running.delete(key);
    };
    creation.then(clear, clear);
  }

  clear(): void {
    this.running.clear();
  }
}

/** Waits for `promise` at most `timeoutMs`, never rejecting. */
export function joinWithin<T>(promise: Promise<T>, timeoutMs: number): Promise<JoinOutcome<T>> {
  return new Promise((resolve) => {
    const timer = Number.isFinite(timeoutMs) ? setTimeout(() => resolve({ settled: 'timeout' }), timeoutMs) : undefined;
    promise.then(
      (value) => {
        if (timer) clearTimeout(timer);
        resolve({ settled: 'value', value });
      },
      () => {
        if (timer) clearTimeout(timer);
        resolve({ settled: 'failed' });
      },
    );
  });
}

/** A promise settled from outside, for creations that several keys share (multi). */
export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Waiters handle the rejection; nobody may be waiting at all.
    this.promise.catch(() => {});
  }
}
