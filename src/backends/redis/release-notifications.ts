// Waking lock waiters: a release publishes the key on the backend's release channel (inside the
// release script), and waiters in every process subscribed to that channel wake at once instead
// of sleeping out a poll interval. Pub/sub is best effort (messages sent while a subscriber is
// reconnecting are lost), so waiters also poll, with jittered backoff bounded by the lock's TTL.
import type { BackendEvent } from '../api.js';
import { toBackendError, type RedisClient, type RedisConnection } from './connection.js';

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

/** After a failed subscribe, waiters only poll for this long before subscribing is tried again. */
const RESUBSCRIBE_DELAY_MS = 1_000;

export class ReleaseNotifications {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private subscriber: RedisClient | undefined;
  private subscribing: Promise<boolean> | undefined;
  private retryAt = 0;
  private closed = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly channel: string,
    private readonly report: (event: BackendEvent) => void,
  ) {}

  /**
   * Registers interest in `key`'s release. Subscribes on first use (one extra connection per
   * backend, bounded by the command timeout); when that fails the waiter still works by polling.
   */
  async register(key: string): Promise<ReleaseWaiter> {
    const waiter = new Waiter((done) => this.remove(key, done));
    let set = this.waiters.get(key);
    if (!set) this.waiters.set(key, (set = new Set()));
    set.add(waiter);
    await this.ensureSubscribed();
    return waiter;
  }

  get isSubscribed(): boolean {
    return this.subscriber !== undefined && this.subscribing === undefined;
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

  private ensureSubscribed(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.subscriber && !this.subscribing) return Promise.resolve(true);
    if (this.subscribing) return this.subscribing;
    if (Date.now() < this.retryAt) return Promise.resolve(false);
    this.subscribing = this.subscribe().finally(() => {
      this.subscribing = undefined;
    });
    return this.subscribing;
  }

  private async subscribe(): Promise<boolean> {
    const subscriber = this.connection.duplicate();
    subscriber.on('error', () => undefined); // outages are reported by the main connection
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.wakeKey(message);
    });
    this.subscriber = subscriber;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        subscriber.subscribe(this.channel),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no subscription within ${this.connection.commandTimeoutMs} ms`)), this.connection.commandTimeoutMs);
        }),
      ]);
      if (this.closed) throw new Error('the backend is closed');
      return true;
    } catch (error) {
      this.subscriber = undefined;
      subscriber.disconnect();
      this.retryAt = Date.now() + RESUBSCRIBE_DELAY_MS;
      if (!this.closed) this.report({ type: 'backendError', operation: 'subscribe', error: toBackendError(error, 'subscribe') });
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Wakes every waiter (they then see the backend closed) and drops the subscription. */
  close(): void {
    this.closed = true;
    for (const set of this.waiters.values()) for (const waiter of set) waiter.wake();
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }
}
