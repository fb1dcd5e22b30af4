import { randomUUID } from 'node:crypto';
import { BackendUnavailableError } from '../../errors.js';
import type { BackendEventSink, CacheMutex } from '../api.js';
import type { MemcachedConnection } from './connection.js';

export interface MemcachedLockSettings {
  /** Lease in whole seconds (memcached's unit). */
  readonly leaseSeconds: number;
  readonly renewIntervalMs: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  /** Longest wait when `acquire(true)` names no bound. */
  readonly defaultTimeoutMs: () => number;
  /** A release or renewal closer than this to the end of the lease (as we know it) is not attempted. */
  readonly safetyMarginMs: number;
}

/** What a mutex needs from its backend. */
export interface MemcachedLockHost {
  readonly connection: MemcachedConnection;
  readonly settings: MemcachedLockSettings;
  emit(event: Parameters<BackendEventSink>[0]): void;
  /** Held locks are tracked so `close()` can release them. */
  held: Set<MemcachedMutex>;
}

/** Full jitter over an exponential step: spreads waiters out so they don't poll in lockstep. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return minMs + random() * (ceiling - minMs);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A cross-process lock for one key, kept as a memcached record: `add(lockKey, token, lease)`
 * takes it (memcached's `add` stores only when the key is absent, atomically), and the record's
 * expiration is the lease, so a holder that dies loses the lock when the lease runs out.
 *
 * memcached (through memjs) has no compare-and-delete, so release reads the record and deletes it
 * only when it still holds our token. Between that read and the delete there is a window: if our
 * lease ran out exactly then and another process took the lock, our delete removes theirs. The
 * lease is renewed while we hold the lock, and release is skipped when less than
 * `safetyMarginMs` of the lease is left, so the window only opens when a renewal could not reach
 * the server for a whole lease and the server then answers within the margin.
 */
export class MemcachedMutex implements CacheMutex {
  private token: string | undefined;
  /** Epoch ms until which our record surely exists (memcached may drop it up to 1 s early). */
  private leaseValidUntil = 0;
  private renewTimer: NodeJS.Timeout | undefined;
  private renewal: Promise<void> | undefined;
  /** Set when a renewal found the record gone or someone else's (already reported). */
  private lost = false;

  constructor(
    private readonly host: MemcachedLockHost,
    /** The region's key, for events and messages. */
    readonly key: string,
    /** The memcached key of the lock record. */
    readonly lockKey: string,
  ) {}

  /** True while this mutex object believes it holds the lock. */
  get held(): boolean {
    return this.token !== undefined;
  }

  async acquire(wait = true, timeoutMs?: number): Promise<boolean> {
    if (this.token !== undefined) return true;
    const { settings } = this.host;
    const bound = timeoutMs ?? settings.defaultTimeoutMs();
    const deadline = Date.now() + bound;
    const token = `${process.pid}:${randomUUID()}`;
    for (let attempt = 0; ; attempt++) {
      const sentAt = Date.now();
      if (await this.tryAdd(token, sentAt)) return true;
      // A retried add (the first try stored our token but its answer was lost) reports "exists":
      // reading the record tells that case apart from another holder.
      if (await this.recordIs(token)) {
        this.onAcquired(token, sentAt);
        return true;
      }
      const remaining = deadline - Date.now();
      if (!wait || remaining <= 0) return false;
      await sleep(Math.min(remaining, backoffDelay(attempt, settings.retryMinMs, settings.retryMaxMs)));
    }
  }

  async release(): Promise<void> {
    const token = this.token;
    if (token === undefined) return;
    this.stopRenewing();
    this.token = undefined;
    this.host.held.delete(this);
    await this.renewal?.catch(() => undefined);
    if (this.lost) return;
    if (Date.now() + this.host.settings.safetyMarginMs >= this.leaseValidUntil) {
      // Too close to the end of the lease to check-then-delete safely: let it expire instead.
      this.host.emit({ type: 'lockLost', key: this.key, detail: 'the lease was about to run out at release; it is left to expire' });
      return;
    }
    try {
      if (await this.recordIs(token)) {
        await this.host.connection.delete(this.lockKey);
      } else {
        this.host.emit({ type: 'lockLost', key: this.key, detail: 'the lease ran out before release; the lock record was not ours any more' });
      }
    } catch (error) {
      // The creation is done and its value in hand: an unreachable server must not turn that into
      // a failure. The record, if it is still there, ends with its lease.
      if (!(error instanceof BackendUnavailableError)) throw error;
      this.host.emit({ type: 'backendError', operation: 'lockRelease', key: this.key, error });
    }
  }

  async locked(): Promise<boolean> {
    return (await this.host.connection.get(this.lockKey)) !== null;
  }

  /** Stops renewing without touching the server (used when the backend closes without reaching it). */
  abandon(): void {
    this.stopRenewing();
    this.token = undefined;
    this.host.held.delete(this);
  }

  private async tryAdd(token: string, sentAt: number): Promise<boolean> {
    const stored = await this.host.connection.add(this.lockKey, token, this.host.settings.leaseSeconds);
    if (stored) this.onAcquired(token, sentAt);
    return stored === true;
  }

  private async recordIs(token: string): Promise<boolean> {
    const value = await this.host.connection.get(this.lockKey);
    return value !== null && value.toString('latin1') === token;
  }

  private onAcquired(token: string, sentAt: number): void {
    this.token = token;
    this.lost = false;
    this.leaseValidUntil = sentAt + (this.host.settings.leaseSeconds - 1) * 1000;
    this.host.held.add(this);
    this.renewTimer = setInterval(() => {
      if (this.renewal === undefined) this.renewal = this.renew().finally(() => (this.renewal = undefined));
    }, this.host.settings.renewIntervalMs);
    // A held lock must not keep the process alive; its lease covers a holder that goes away.
    this.renewTimer.unref();
  }

  private stopRenewing(): void {
    if (this.renewTimer !== undefined) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  /**
   * Extends the lease when the record is still ours (read, then `touch`). The same window as
   * release applies: a lease lost between the read and the touch extends the new holder's lease
   * once, which delays a takeover but never gives the lock to two holders.
   */
  private async renew(): Promise<void> {
    const token = this.token;
    if (token === undefined) return;
    const { connection, settings } = this.host;
    try {
      const sentAt = Date.now();
      if (!(await this.recordIs(token))) {
        if (this.token === token) {
          this.lost = true;
          this.stopRenewing();
          this.host.emit({ type: 'lockLost', key: this.key, detail: 'the lease ran out while the creator was running' });
        }
        return;
      }
      if (this.token !== token) return;
      if (await connection.touch(this.lockKey, settings.leaseSeconds)) {
        this.leaseValidUntil = sentAt + (settings.leaseSeconds - 1) * 1000;
      }
    } catch (error) {
      // A renewal that cannot reach the server is retried at the next interval.
      this.host.emit({ type: 'backendError', operation: 'lockRenew', key: this.key, error });
    }
  }
}
