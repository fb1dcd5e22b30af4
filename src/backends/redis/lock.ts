// The distributed creation lock: `SET lock token NX PX lease` (in a script that also issues the
// fencing generation), released by a Lua compare-and-delete, its lease renewed while the creator
// runs. One round trip to acquire, one to release.
//
// A holder that lost its lease (its renewals found the lock gone or someone else's) is told through
// a `lockLost` event; its release then leaves the new owner's lock alone and throws nothing.
import { randomUUID } from 'node:crypto';
import type { BackendEvent, CacheMutex } from '../api.js';
import type { RedisConnection } from './connection.js';
import type { FencingRegistry } from './fencing.js';
import { fenceRecordTtlMs } from './fencing.js';
import type { KeyLayout } from './keys.js';
import type { ReleaseNotifications } from './release-notifications.js';
import { ACQUIRE, RELEASE, RENEW, runScript } from './scripts.js';

/** What a mutex needs from its backend. */
export interface LockContext {
  readonly connection: RedisConnection;
  readonly layout: KeyLayout;
  readonly leaseMs: number;
  readonly notifications: ReleaseNotifications;
  readonly fencing: FencingRegistry;
  /** Held mutexes, so that closing the backend releases them. */
  readonly heldMutexes: Set<RedisMutex>;
  /** The value TTL in ms (`Infinity`: none), for the fencing record's TTL. */
  valueTtlMs(): number;
  /** How long `acquire(true)` waits when no timeout is given. */
  defaultWaitMs(): number;
  isClosed(): boolean;
  report(event: BackendEvent): void;
}

interface Holding {
  readonly token: string;
  readonly generation: string;
  renewTimer: NodeJS.Timeout | undefined;
  lost: boolean;
}

/** Polling while waiting: 50 ms, 100 ms, … up to 1 s, each ±50 % jitter, never past the lock's expiry. */
const POLL_BASE_MS = 50;
const POLL_MAX_MS = 1_000;

export function pollDelay(round: number, lockTtlMs: number, remainingMs: number): number {
  let delay = Math.min(POLL_BASE_MS * 2 ** Math.min(round, 10), POLL_MAX_MS) * (0.5 + Math.random());
  // The lock expires in lockTtlMs if its holder died: look again right after that.
  if (lockTtlMs > 0) delay = Math.min(delay, lockTtlMs + 1 + Math.random() * 10);
  return Math.max(1, Math.min(delay, remainingMs));
}

/** A key's lock. Each `getMutex` call gives a new one; it is not re-entrant. */
export class RedisMutex implements CacheMutex {
  private holding: Holding | undefined;

  constructor(
    private readonly context: LockContext,
    readonly key: string,
  ) {}

  /** The fencing generation while held. */
  get generation(): string | undefined {
    return this.holding?.generation;
  }

  get isHeld(): boolean {
    return this.holding !== undefined;
  }

  /**
   * Takes the lock. With `wait` false tries once; else waits up to `timeoutMs` (when missing or
   * infinite: the region's lock timeout if finite, else three leases) and resolves false when the
   * time ran out. Throws
   * `BackendUnavailableError` when Redis cannot be reached.
   */
  async acquire(wait = true, timeoutMs?: number): Promise<boolean> {
    if (this.holding) return false;
    // A wait is always bounded: no timeout, or an infinite one, means the default bound.
    const waitMs = timeoutMs !== undefined && Number.isFinite(timeoutMs) ? timeoutMs : this.context.defaultWaitMs();
    const deadline = Date.now() + waitMs;
    const token = randomUUID();
    let lockTtl = await this.attempt(token);
    if (lockTtl === undefined) return true;
    if (!wait || waitMs <= 0) return false;

    const waiter = await this.context.notifications.register(this.key);
    try {
      for (let round = 0; ; round++) {
        // Retried right after registering too: a release between the first attempt and the
        // registration would otherwise go unnoticed until the next poll.
        lockTtl = await this.attempt(token);
        if (lockTtl === undefined) return true;
        const remaining = deadline - Date.now();
        if (remaining <= 0 || this.context.isClosed()) return false;
        await waiter.sleep(pollDelay(round, lockTtl, remaining));
        if (this.context.isClosed()) return false;
      }
    } finally {
      waiter.dispose();
    }
  }

  /** One SET NX attempt: `undefined` when taken, else the lock's remaining TTL in ms. */
  private async attempt(token: string): Promise<number | undefined> {
    const { connection, layout, leaseMs } = this.context;
    const fenceTtl = fenceRecordTtlMs(this.context.valueTtlMs(), leaseMs);
    const result = await connection.run('lock acquire', this.key, () =>
      runScript(connection.client, ACQUIRE, [layout.lockKey(this.key), layout.fenceKey(this.key)], [token, leaseMs, fenceTtl]),
    );
    if (typeof result === 'string' || Buffer.isBuffer(result)) {
      this.onAcquired(token, String(result));
      return undefined;
    }
    return Number(result);
  }

  private onAcquired(token: string, generation: string): void {
    const holding: Holding = { token, generation, renewTimer: undefined, lost: false };
    this.holding = holding;
    this.context.fencing.hold(this.key, generation, this);
    this.context.heldMutexes.add(this);
    const every = Math.max(1, Math.floor(this.context.leaseMs / 3));
    holding.renewTimer = setInterval(() => void this.renew(holding), every);
    // Renewal must never keep a process alive on its own.
    holding.renewTimer.unref();
  }

  private async renew(holding: Holding): Promise<void> {
    if (this.holding !== holding || holding.lost) return;
    const { connection, layout, leaseMs } = this.context;
    try {
      const renewed = await connection.run('lock renew', this.key, () =>
        runScript(connection.client, RENEW, [layout.lockKey(this.key)], [holding.token, leaseMs]),
      );
      if (Number(renewed) !== 1 && this.holding === holding) {
        this.markLost(holding, 'the lease ran out before the creator finished; another caller may be creating the value now');
      }
    } catch (error) {
      // The lease may still be ours; the next renewal tries again.
      this.context.report({ type: 'backendError', operation: 'lock renew', key: this.key, error });
    }
  }

  private markLost(holding: Holding, detail: string): void {
    if (holding.lost) return;
    holding.lost = true;
    clearInterval(holding.renewTimer);
    this.context.report({ type: 'lockLost', key: this.key, detail });
  }

  /**
   * Releases the lock if it is still ours. Never throws: a lock lost to its lease is reported as a
   * `lockLost` event (and the new owner's lock is left alone); a failure to reach Redis as a
   * `backendError` event (the lock then ends with its lease).
   */
  async release(): Promise<void> {
    const holding = this.holding;
    if (!holding) return;
    this.holding = undefined;
    clearInterval(holding.renewTimer);
    this.context.fencing.forget(this.key, this);
    this.context.heldMutexes.delete(this);
    const { connection, layout } = this.context;
    try {
      const released = await connection.run('lock release', this.key, () =>
        runScript(connection.client, RELEASE, [layout.lockKey(this.key)], [holding.token, layout.releaseChannel, this.key]),
      );
      if (Number(released) !== 1) {
        this.markLost(holding, 'released after the lease ran out; the lock had expired or belonged to another caller and was left alone');
      }
    } catch (error) {
      this.context.report({ type: 'backendError', operation: 'lock release', key: this.key, error });
    }
  }

  /** Whether anyone holds this key's lock. Throws `BackendUnavailableError` when Redis cannot be reached. */
  async locked(): Promise<boolean> {
    const { connection, layout } = this.context;
    const count = await connection.run('lock check', this.key, () => connection.client.exists(layout.lockKey(this.key)));
    return count > 0;
  }
}
