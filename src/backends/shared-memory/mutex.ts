import type { BackendEvent, SyncCacheMutex } from '../api.js';
import { newObservation, type LockTable } from './lock-table.js';

/** What a mutex needs from the backend that made it. */
export interface MutexOwner {
  readonly table: LockTable;
  /** Bound used when `acquire(true)` is called without a timeout. */
  defaultWaitMs(): number;
  held: Set<SharedMemoryMutex>;
  report(event: BackendEvent): void;
}

/** Longest single sleep while waiting: holders notify on release, this only paces lease checks. */
const MAX_SLEEP_MS = 250;

/**
 * The creation lock of one key, shared by every thread over the same table. One object is one
 * potential holder: not re-entrant (`acquire` while this object holds it gives `false`), and
 * `release` only ever frees the acquisition this object made, never a lock taken over since.
 *
 * While held, the lease is renewed every third of `lockLease` by an unref'd timer; that timer can
 * only run when the holder's event loop does, so a synchronous creator must finish within the
 * lease. A holder that loses its lease (it was taken over) reports a `lockLost` event on release.
 */
export class SharedMemoryMutex implements SyncCacheMutex {
  private slot = -1;
  private token = 0;
  private lease = 0n;
  private renewTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly owner: MutexOwner,
    readonly key: string,
    private readonly hash: number,
  ) {}

  get isHeldHere(): boolean {
    return this.token !== 0;
  }

  acquireSync(wait = true, timeoutMs?: number): boolean {
    if (this.token !== 0) return false;
    const table = this.owner.table;
    const token = table.newToken();
    const first = table.claim(this.hash, token);
    if (first.kind === 'acquired') return this.hold(first.slot, token, first.lease);
    if (!wait) return false;
    const deadline = Date.now() + this.waitBound(timeoutMs);
    const observation = newObservation();
    let busy = first;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      table.waitSync(busy.slot, busy.word, Math.min(remaining, this.sleepSlice()));
      const next = table.claim(this.hash, token, observation);
      if (next.kind === 'acquired') return this.hold(next.slot, token, next.lease);
      busy = next;
    }
  }

  /** Tries at once; only a wait returns a promise. */
  acquire(wait = true, timeoutMs?: number): boolean | Promise<boolean> {
    if (this.token !== 0) return false;
    const table = this.owner.table;
    const token = table.newToken();
    const first = table.claim(this.hash, token);
    if (first.kind === 'acquired') return this.hold(first.slot, token, first.lease);
    if (!wait) return false;
    return this.waitForLock(token, first.slot, first.word, Date.now() + this.waitBound(timeoutMs));
  }

  releaseSync(): void {
    this.release();
  }

  release(): void {
    if (this.token === 0) return;
    const { slot, token } = this;
    this.forget();
    if (!this.owner.table.release(slot, this.hash, token)) {
      this.owner.report({ type: 'lockLost', key: this.key, detail: 'the lease ran out and another thread took the lock over before release' });
    }
  }

  locked(): boolean {
    return this.lockedSync();
  }

  lockedSync(): boolean {
    return this.owner.table.isLocked(this.hash);
  }

  private async waitForLock(token: number, slot: number, word: bigint, deadline: number): Promise<boolean> {
    const table = this.owner.table;
    const observation = newObservation();
    let busySlot = slot;
    let busyWord = word;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await table.waitAsync(busySlot, busyWord, Math.min(remaining, this.sleepSlice()));
      // Another acquisition through this object may have happened while this one slept.
      if (this.token !== 0) return false;
      const next = table.claim(this.hash, token, observation);
      if (next.kind === 'acquired') return this.hold(next.slot, token, next.lease);
      busySlot = next.slot;
      busyWord = next.word;
    }
  }

  private hold(slot: number, token: number, lease: bigint): true {
    this.slot = slot;
    this.token = token;
    this.lease = lease;
    this.owner.held.add(this);
    const every = Math.max(1, Math.floor(this.owner.table.leaseMs / 3));
    this.renewTimer = setInterval(() => this.renew(), every);
    this.renewTimer.unref();
    return true;
  }

  private renew(): void {
    if (this.token === 0) return;
    const renewed = this.owner.table.renew(this.slot, this.hash, this.token, this.lease);
    if (renewed !== undefined) {
      this.lease = renewed;
      return;
    }
    this.forget();
    this.owner.report({ type: 'lockLost', key: this.key, detail: 'the lease ran out and another thread took the lock over' });
  }

  private forget(): void {
    if (this.renewTimer !== undefined) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    this.owner.held.delete(this);
    this.slot = -1;
    this.token = 0;
    this.lease = 0n;
  }

  private waitBound(timeoutMs: number | undefined): number {
    if (timeoutMs === undefined || timeoutMs === null || Number.isNaN(timeoutMs)) return this.owner.defaultWaitMs();
    return Math.max(0, timeoutMs);
  }

  private sleepSlice(): number {
    return Math.max(1, Math.min(MAX_SLEEP_MS, Math.floor(this.owner.table.leaseMs / 4)));
  }
}
