import type { SyncCacheMutex } from '../backends/api.js';

interface Waiter {
  grant(): void;
}

/**
 * A per-key lock among the promises of one thread, for backends that bring no mutex of their own.
 * Waiters are served in arrival order and every wait is bounded. A synchronous wait can never be
 * granted while someone in this same thread holds the lock, so `acquireSync` does not wait.
 */
export class LocalMutex implements SyncCacheMutex {
  private held = false;
  private readonly waiters: Waiter[] = [];

  constructor(private readonly onIdle: () => void = () => {}) {}

  acquire(wait = true, timeoutMs = Number.POSITIVE_INFINITY): boolean | Promise<boolean> {
    if (!this.held) {
      this.held = true;
      return true;
    }
    if (!wait || timeoutMs <= 0) return false;
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        grant: () => {
          if (timer) clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            const index = this.waiters.indexOf(waiter);
            if (index >= 0) this.waiters.splice(index, 1);
            resolve(false);
          }, timeoutMs)
        : undefined;
      this.waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) {
      next.grant();
      return;
    }
    this.held = false;
    this.onIdle();
  }

  locked(): boolean {
    return this.held;
  }

  acquireSync(): boolean {
    if (this.held) return false;
    this.held = true;
    return true;
  }

  releaseSync(): void {
    this.release();
  }

  lockedSync(): boolean {
    return this.held;
  }
}

/** One {@link LocalMutex} per key, kept only while it is held or waited for. */
export class LocalMutexRegistry {
  private readonly mutexes = new Map<string, LocalMutex>();

  get(key: string): LocalMutex {
    let mutex = this.mutexes.get(key);
    if (mutex === undefined) {
      const created = new LocalMutex(() => {
        if (this.mutexes.get(key) === created) this.mutexes.delete(key);
      });
      mutex = created;
      this.mutexes.set(key, mutex);
    }
    return mutex;
  }

  isLocked(key: string): boolean {
    return this.mutexes.get(key)?.locked() ?? false;
  }
}
