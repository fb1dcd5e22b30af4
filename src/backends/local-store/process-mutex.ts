// The creation lock shared by every process and thread on this host that opens the same store.
// The store (an lmdb lock database, or lock files) keeps one record per held key and changes it
// atomically; this file adds everything around that: bounded waits with jittered polling, lease
// renewal while a creator runs, lost-lease reporting, and the hand-over between callers of one
// thread without a round trip through the store.
import type { BackendEvent, SyncCacheMutex } from '../api.js';
import { Backoff } from './backoff.js';
import type { StalenessPolicy } from './lock-staleness.js';
import { newLockToken, ownRecord, type LockRecord } from './lock-record.js';
import { sleepSync } from './sleep-sync.js';
import { newGateObservation, type GateObservation, type GateTicket, type ThreadGate } from './thread-gate.js';

/** Where the lock records live. Every method is synchronous and atomic across processes. */
export interface LockStore {
  /**
   * Writes `record` for `key` if no record is there or the one there is stale under `policy`;
   * true when the lock is now ours. `freshView` asks the store to look past any read snapshot it
   * keeps for the current event turn (a synchronous wait never leaves its turn).
   */
  tryAcquire(key: string, record: LockRecord, policy: StalenessPolicy, freshView: boolean): boolean;
  /** Replaces our record (same token) with `record`; false when the record is not ours any more. */
  renew(key: string, record: LockRecord): boolean;
  /** Removes the record if it has `token`; false when it is not ours any more (left alone). */
  release(key: string, token: string): boolean;
  /** Whether a live (not stale) lock is held on `key` by anyone, looking past read snapshots. */
  isHeld(key: string, policy: StalenessPolicy): boolean;
}

export interface ProcessLockSettings extends StalenessPolicy {
  /** Lease of a held lock; renewed every third of it while the holder's event loop runs. */
  readonly leaseMs: number;
  /** Longest pause between two looks at a held lock. */
  readonly pollMaxMs: number;
}

interface Holding {
  record: LockRecord;
  renewTimer: ReturnType<typeof setInterval> | undefined;
  lost: boolean;
}

/** The locks of one backend instance: its held mutexes, local waiters and settings. */
export class ProcessLocks {
  /** Bound of `acquire(true)` without a timeout; the region's lock timeout once it is known. */
  defaultWaitMs: number;
  /**
   * Runs after every acquisition. The region reads the store again right after taking the lock
   * (another process may have created the value meanwhile), so a backend that keeps read
   * snapshots or cached state drops them here.
   */
  onAcquired: () => void = () => {};
  private report: (event: BackendEvent) => void = () => {};
  private closed = false;
  private readonly holders = new Map<string, ProcessMutex>();
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Handles with a gate ticket (holding or waiting), so that closing can hand every slot back. */
  private readonly ticketed = new Set<ProcessMutex>();
  private openGate: ThreadGate | undefined;

  constructor(
    readonly store: LockStore,
    readonly settings: ProcessLockSettings,
    gate?: ThreadGate,
  ) {
    this.defaultWaitMs = settings.leaseMs * 3;
    this.openGate = gate;
  }

  /** The thread gate, until `close()`: its memory may go away with the store's last handle. */
  get gate(): ThreadGate | undefined {
    return this.openGate;
  }

  setReporter(report: (event: BackendEvent) => void): void {
    this.report = report;
  }

  /** A new handle on `key`'s lock; each handle is one potential holder (not re-entrant). */
  mutex(key: string): ProcessMutex {
    return new ProcessMutex(this, key);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Whether anyone (this thread or another thread or process) holds a live lock on `key`. */
  isLocked(key: string): boolean {
    // A closed store may not be readable any more; this instance holds nothing then.
    if (this.closed) return false;
    return this.holders.has(key) || this.store.isHeld(key, this.settings);
  }

  /** Releases every lock held through this instance; later acquisitions answer false. */
  close(): void {
    this.closed = true;
    for (const mutex of [...this.holders.values()]) mutex.release();
    // Waiters wake after this returns: their gate slots are handed back now, while the gate's
    // memory is certainly still there.
    for (const mutex of [...this.ticketed]) mutex.leaveGate();
    this.openGate = undefined;
    for (const wakers of this.waiters.values()) for (const wake of wakers) wake();
    this.waiters.clear();
  }

  /** @internal */
  trackTicket(mutex: ProcessMutex, has: boolean): void {
    if (has) this.ticketed.add(mutex);
    else this.ticketed.delete(mutex);
  }

  /** @internal */
  emit(event: BackendEvent): void {
    try {
      this.report(event);
    } catch {
      // A listener's failure is not the lock's concern.
    }
  }

  /** @internal A key held by a handle of this instance is busy without asking the store. */
  localHolder(key: string): ProcessMutex | undefined {
    return this.holders.get(key);
  }

  /** @internal */
  setHolder(key: string, mutex: ProcessMutex | undefined): void {
    if (mutex) {
      this.holders.set(key, mutex);
      return;
    }
    this.holders.delete(key);
    const wakers = this.waiters.get(key);
    if (wakers) {
      this.waiters.delete(key);
      for (const wake of wakers) wake();
    }
  }

  /** @internal Sleeps up to `ms`, waking early when a handle of this instance releases `key`. */
  waitLocal(key: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let wakers = this.waiters.get(key);
      if (!wakers) this.waiters.set(key, (wakers = new Set()));
      const set = wakers;
      const wake = (): void => {
        clearTimeout(timer);
        set.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
    });
  }
}

/**
 * One potential holder of a key's lock. `acquire(false)` tries once; `acquire(true, timeoutMs)`
 * polls (1 ms growing to `pollMaxMs`, jittered) until it wins or the time runs out, and then
 * answers false. `release` frees only the acquisition this handle made: a lock whose lease ran
 * out and was taken over is left to its new owner and reported as a `lockLost` event.
 *
 * Sync waits sleep the thread with `Atomics.wait`; async waits use timers and wake early when
 * another handle of the same backend instance releases the key. While held, the lease is renewed
 * every third of itself by an unref'd timer, which only runs while the holder's event loop does:
 * a synchronous creator must finish within the lease.
 */
export class ProcessMutex implements SyncCacheMutex {
  private holding: Holding | undefined;
  private ticket: GateTicket | undefined;
  /** What this handle's previous look at a busy gate slot found. */
  private gateSeen: GateObservation | undefined;

  constructor(
    private readonly locks: ProcessLocks,
    readonly key: string,
  ) {}

  get isHeld(): boolean {
    return this.holding !== undefined;
  }

  acquireSync(wait = true, timeoutMs?: number): boolean {
    if (this.holding) return false;
    const token = newLockToken();
    if (this.attempt(token, true)) return true;
    if (!wait) return this.gaveUp();
    const deadline = Date.now() + (timeoutMs ?? this.locks.defaultWaitMs);
    const backoff = new Backoff(this.locks.settings.pollMaxMs);
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 || this.locks.isClosed) return this.gaveUp();
      sleepSync(backoff.next(remaining));
      if (this.attempt(token, true)) return true;
    }
  }

  /** Tries at once and answers synchronously when no wait is needed. */
  acquire(wait = true, timeoutMs?: number): boolean | Promise<boolean> {
    if (this.holding) return false;
    const token = newLockToken();
    if (this.attempt(token, false)) return true;
    if (!wait) return this.gaveUp();
    return this.waitAsync(token, Date.now() + (timeoutMs ?? this.locks.defaultWaitMs));
  }

  releaseSync(): void {
    this.release();
  }

  /** Never throws: a store failure is reported as a `backendError` event. */
  release(): void {
    const holding = this.holding;
    if (!holding) return;
    this.holding = undefined;
    clearInterval(holding.renewTimer);
    let ours = false;
    try {
      ours = this.locks.store.release(this.key, holding.record.token);
    } catch (error) {
      this.locks.emit({ type: 'backendError', operation: 'lock release', key: this.key, error });
      ours = true;
    }
    if (!ours && !holding.lost) {
      this.locks.emit({
        type: 'lockLost',
        key: this.key,
        detail: 'the lease ran out before release and another caller took the lock over; its lock was left alone',
      });
    }
    this.leaveGate();
    if (this.locks.localHolder(this.key) === this) this.locks.setHolder(this.key, undefined);
  }

  locked(): boolean {
    return this.lockedSync();
  }

  lockedSync(): boolean {
    return this.locks.isLocked(this.key);
  }

  private async waitAsync(token: string, deadline: number): Promise<boolean> {
    const backoff = new Backoff(this.locks.settings.pollMaxMs);
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 || this.locks.isClosed) return this.gaveUp();
      await this.locks.waitLocal(this.key, backoff.next(remaining));
      // Another acquisition through this handle may have won while this one slept; the gate
      // ticket is that acquisition's now.
      if (this.holding) return false;
      if (this.attempt(token, false)) return true;
    }
  }

  /** One look: through the local holder, the thread gate, then the store. */
  private attempt(token: string, freshView: boolean): boolean {
    const { locks } = this;
    if (locks.isClosed || locks.localHolder(this.key) !== undefined) return false;
    const { leaseMs } = locks.settings;
    if (locks.gate) {
      if (this.ticket) locks.gate.refresh(this.ticket, leaseMs);
      else {
        const entry = locks.gate.enter(this.key, leaseMs, (this.gateSeen ??= newGateObservation()));
        if (entry === 'busy') return false;
        if (entry !== 'bypass') {
          this.ticket = entry;
          locks.trackTicket(this, true);
        }
      }
    }
    const record = ownRecord(token, Date.now() + leaseMs);
    if (!locks.store.tryAcquire(this.key, record, locks.settings, freshView)) return false;
    this.hold(record);
    locks.onAcquired();
    return true;
  }

  private hold(record: LockRecord): void {
    const holding: Holding = { record, renewTimer: undefined, lost: false };
    this.holding = holding;
    this.locks.setHolder(this.key, this);
    const every = Math.max(1, Math.floor(this.locks.settings.leaseMs / 3));
    holding.renewTimer = setInterval(() => this.renew(holding), every);
    // Renewal must never keep a process alive on its own.
    holding.renewTimer.unref();
  }

  private renew(holding: Holding): void {
    if (this.holding !== holding || holding.lost) return;
    const { leaseMs } = this.locks.settings;
    const record = ownRecord(holding.record.token, Date.now() + leaseMs);
    let renewed: boolean;
    try {
      renewed = this.locks.store.renew(this.key, record);
    } catch (error) {
      // The lease may still be ours; the next renewal tries again.
      this.locks.emit({ type: 'backendError', operation: 'lock renew', key: this.key, error });
      return;
    }
    if (renewed) {
      holding.record = record;
      if (this.ticket && this.locks.gate) this.locks.gate.refresh(this.ticket, leaseMs);
      return;
    }
    holding.lost = true;
    clearInterval(holding.renewTimer);
    this.locks.emit({
      type: 'lockLost',
      key: this.key,
      detail: 'the lease ran out before the creator finished (was the event loop blocked?); another caller may be creating the value now',
    });
  }

  private gaveUp(): false {
    this.leaveGate();
    return false;
  }

  /** @internal Hands the gate slot back (if this handle has one). */
  leaveGate(): void {
    if (this.ticket === undefined) return;
    this.locks.gate?.leave(this.ticket);
    this.ticket = undefined;
    this.locks.trackTicket(this, false);
  }
}
