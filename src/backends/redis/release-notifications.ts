// Waking lock waiters: a release publishes the key on the backend's release channel (inside the
// release script), and waiters in every process subscribed to that channel wake at once instead
// of sleeping out a poll interval. Pub/sub is best effort (messages sent while a subscriber is
// reconnecting are lost), so waiters also poll, with jittered backoff bounded by the lock's TTL.
import type { Subscriptions } from './subscriptions.js';

/** One waiter's view: sleep until a release of its key, or until the time is up. */
export interface ReleaseWaiter {
  /** Resolves after `ms`, or earlier when the key's lock is released (also if that happened since the last sleep). */
  sleep(ms: number): Promise<void>;
  dispose(): void;
}

class Waiter implements ReleaseWaiter {
  private wokenEarly = false;
  private resolveSleep: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly onDispose: (waiter: Waiter) => void) {}

  wake(): void {
    const resolve = this.resolveSleep;
    if (resolve) {
      this.finishSleep();
      resolve();
    } else {
      this.wokenEarly = true;
    }
  }

  sleep(ms: number): Promise<void> {
    if (this.wokenEarly) {
      this.wokenEarly = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.resolveSleep = resolve;
      this.timer = setTimeout(() => {
        this.finishSleep();
        resolve();
      }, ms);
    });
  }

  private finishSleep(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.resolveSleep = undefined;
  }

  dispose(): void {
    this.wake();
    this.onDispose(this);
  }
}

export class ReleaseNotifications {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private closed = false;

  constructor(
    private readonly subscriptions: Subscriptions,
    private readonly channel: string,
  ) {}

  /**
   * Registers interest in `key`'s release. Subscribes on first use (bounded by the command
   * timeout); when that fails the waiter still works by polling.
   */
  async register(key: string): Promise<ReleaseWaiter> {
    const waiter = new Waiter((done) => this.remove(key, done));
    let set = this.waiters.get(key);
    if (!set) this.waiters.set(key, (set = new Set()));
    set.add(waiter);
    if (!this.closed) await this.subscriptions.listen(this.channel, (message) => this.wakeKey(message));
    return waiter;
  }

  get isSubscribed(): boolean {
    return this.subscriptions.isActive(this.channel);
  }

  private remove(key: string, waiter: Waiter): void {
    const set = this.waiters.get(key);
    if (!set) return;
    set.delete(waiter);
    if (set.size === 0) this.waiters.delete(key);
  }

  private wakeKey(key: string): void {
    const set = this.waiters.get(key);
    if (set) for (const waiter of set) waiter.wake();
  }

  /** Wakes every waiter (they then see the backend closed). */
  close(): void {
    this.closed = true;
    for (const set of this.waiters.values()) for (const waiter of set) waiter.wake();
  }
}
