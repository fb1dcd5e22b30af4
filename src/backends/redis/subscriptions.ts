// One pub/sub connection per backend, opened on first use, shared by the lock's release
// notifications and the shared invalidation state. Subscribing is bounded by the command timeout;
// when it fails, callers carry on without messages (they poll or re-read) and a later use tries
// again. ioredis resubscribes by itself after a reconnect; listeners hear about that, because
// messages published while the connection was down are lost.
import type { BackendEvent } from '../api.js';
import { toBackendError, type RedisClient, type RedisConnection } from './connection.js';

/** After a failed subscribe, the next attempt waits this long. */
const RESUBSCRIBE_DELAY_MS = 1_000;

export class Subscriptions {
  private readonly handlers = new Map<string, (message: string) => void>();
  private readonly subscribed = new Set<string>();
  private readonly reconnectListeners: Array<() => void> = [];
  private subscriber: RedisClient | undefined;
  private pending: Promise<boolean> | undefined;
  private retryAt = 0;
  private closed = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly report: (event: BackendEvent) => void,
  ) {}

  /** Delivers `channel`'s messages to `handler`; resolves whether the subscription is active. */
  async listen(channel: string, handler: (message: string) => void): Promise<boolean> {
    this.handlers.set(channel, handler);
    return this.ensure();
  }

  /** Called after the pub/sub connection came back from an outage (messages may have been lost). */
  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  isActive(channel: string): boolean {
    return this.subscriber !== undefined && this.subscribed.has(channel);
  }

  private async ensure(): Promise<boolean> {
    while (this.pending) await this.pending;
    if (this.closed) return false;
    const missing = [...this.handlers.keys()].filter((channel) => !this.subscribed.has(channel));
    if (missing.length === 0) return true;
    if (Date.now() < this.retryAt) return false;
    this.pending = this.subscribe(missing).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private connect(): RedisClient {
    const subscriber = this.connection.duplicate();
    subscriber.on('error', () => undefined); // outages are reported by the main connection
    subscriber.on('message', (channel: string, message: string) => this.handlers.get(channel)?.(message));
    let readyBefore = false;
    subscriber.on('ready', () => {
      if (readyBefore && !this.closed) for (const listener of this.reconnectListeners) listener();
      readyBefore = true;
    });
    return subscriber;
  }

  private async subscribe(channels: string[]): Promise<boolean> {
    const subscriber = (this.subscriber ??= this.connect());
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        subscriber.subscribe(...channels),
        new Promise((_, reject) => {
          const ms = this.connection.commandTimeoutMs;
          timer = setTimeout(() => reject(new Error(`no subscription within ${ms} ms`)), ms);
        }),
      ]);
      if (this.closed) return false;
      for (const channel of channels) this.subscribed.add(channel);
      return true;
    } catch (error) {
      if (this.subscribed.size === 0) {
        this.subscriber = undefined;
        subscriber.disconnect();
      }
      this.retryAt = Date.now() + RESUBSCRIBE_DELAY_MS;
      if (!this.closed) this.report({ type: 'backendError', operation: 'subscribe', error: toBackendError(error, 'subscribe') });
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.closed = true;
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    this.subscribed.clear();
  }
}
