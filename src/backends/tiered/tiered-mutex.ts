// The creation lock of a tiered backend: the tiers' locks taken in order, nearest first. A caller
// reaches a tier's lock only after it won every lock nearer to it, so each tier sees one
// contender per member of the tier inside it (one thread per process on the host's lock, one
// process per host on the Redis lock). Having won a tier, the winner first looks in that tier: a
// value stored there meanwhile (by the holder it waited for) ends the climb, and the locks it
// holds so far are enough for the region to read that value again.
//
// A caller that only tries (an expired value is there to serve) and finds a farther tier busy
// keeps the nearer locks it won until that farther lock is free again, then reads the new value
// through into the nearer tiers before letting go: the creation is under way elsewhere, and the
// other callers of its thread, process or host find the nearer lock busy, or the value fresh,
// instead of asking the farther tier again. So a stampede on an expired key also reaches each
// tier once per member of the tier inside it.
//
// A try that finds a fresh value in a tier it won (the farthest one included) answers false: the
// value was made while the caller was on its way, and the region, which does not read again
// after a try, would otherwise make it a second time. The caller serves the value it read, and
// the fresh one is read through before its locks are let go.
//
// A tier whose lock cannot be reached (its server is down) is skipped and reported: the tiers
// that still work keep excluding each other's callers.
//
// The climb is written once (`climbing`) and run asynchronously or, when every tier's lock can
// be, synchronously.
import type { CacheMutex, SyncCacheMutex } from '../api.js';
import { runSteps, runStepsSync, type Steps } from './steps.js';

export interface TierLock {
  readonly mutex: CacheMutex;
  /** Whether the tier now holds a fresh value for the key: then no tier further out is needed. */
  readonly holdsFreshValue: () => boolean | Promise<boolean>;
}

/** How a follower waits for a farther lock to be free and then brings its value nearer. */
export interface Following {
  /** Longest time nearer locks are kept while a farther holder finishes. */
  readonly maxMs: number;
  /** Reads the key through every tier, copying a value found further out into the nearer ones. */
  readonly readThrough: () => unknown;
  /** Hands over a follow in progress, so that closing the backend can let it finish. */
  readonly track: (follow: Promise<void>) => void;
}

export type TierFailure = (operation: 'lock' | 'unlock' | 'locked', error: unknown) => void;

/** Pauses between two looks at a farther lock: from 2 ms doubling to 50 ms. */
const FOLLOW_FIRST_PAUSE_MS = 2;
const FOLLOW_MAX_PAUSE_MS = 50;

/** Where a climb ended: the locks won, and the lock found busy or a tier found fresh, if any. */
interface Climb {
  readonly held: CacheMutex[];
  readonly busy?: CacheMutex;
  readonly foundFresh?: boolean;
}

export class TieredMutex implements CacheMutex {
  /** Tiers whose locks this handle holds, nearest first. */
  protected held: CacheMutex[] = [];

  constructor(
    protected readonly tiers: readonly TierLock[],
    protected readonly onFailure: TierFailure,
    protected readonly following: Following,
  ) {}

  async acquire(wait = true, timeoutMs?: number): Promise<boolean> {
    const climb = await runSteps(this.climbing(wait, timeoutMs, false));
    if (isWon(climb, wait)) {
      this.held = climb.held;
      return true;
    }
    if (!wait && climb.held.length > 0) this.follow(climb.busy, climb.held);
    else await runSteps(this.releasing(climb.held, false));
    return false;
  }

  async release(): Promise<void> {
    const held = this.held;
    this.held = [];
    await runSteps(this.releasing(held, false));
  }

  locked(): Promise<boolean> {
    return runSteps(this.lookingAt(false));
  }

  protected *climbing(wait: boolean, timeoutMs: number | undefined, sync: boolean): Steps<Climb> {
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const remaining = () => (deadline === undefined ? undefined : Math.max(0, deadline - Date.now()));
    const held: CacheMutex[] = [];
    let lastError: unknown;
    for (const [index, { mutex, holdsFreshValue }] of this.tiers.entries()) {
      let won: boolean;
      try {
        won = (yield sync ? (mutex as SyncCacheMutex).acquireSync(wait, remaining()) : mutex.acquire(wait, remaining())) as boolean;
      } catch (error) {
        this.onFailure('lock', error);
        lastError = error;
        continue;
      }
      if (!won) return { held, busy: mutex };
      held.push(mutex);
      // A waiter that won the farthest lock needs no look: the region reads again after a wait.
      if (wait && index === this.tiers.length - 1) break;
      try {
        if (yield holdsFreshValue()) return { held, foundFresh: true };
      } catch {
        // Reading the tier failed (its own reads report that): go on climbing.
      }
    }
    if (held.length === 0) throw lastError;
    return { held };
  }

  /** Farthest first, so a nearer tier's waiters wake only once every tier further out is free. */
  protected *releasing(held: readonly CacheMutex[], sync: boolean): Steps<void> {
    for (const mutex of [...held].reverse()) {
      try {
        yield sync ? (mutex as SyncCacheMutex).releaseSync() : mutex.release();
      } catch (error) {
        this.onFailure('unlock', error);
      }
    }
  }

  protected *lookingAt(sync: boolean): Steps<boolean> {
    for (const { mutex } of this.tiers) {
      try {
        if (yield sync ? (mutex as SyncCacheMutex).lockedSync() : mutex.locked()) return true;
      } catch (error) {
        this.onFailure('locked', error);
      }
    }
    return false;
  }

  /**
   * In the background: keeps `nearer` until `farther` (if any) is free (looking, not trying to
   * take it, so the farther tier sees no second attempt) or `maxMs` passed, reads the value
   * through, lets go.
   */
  protected follow(farther: CacheMutex | undefined, nearer: CacheMutex[]): void {
    this.following.track(this.waitThenReadThrough(farther, nearer));
  }

  private async waitThenReadThrough(farther: CacheMutex | undefined, nearer: CacheMutex[]): Promise<void> {
    try {
      const deadline = Date.now() + this.following.maxMs;
      let pause = FOLLOW_FIRST_PAUSE_MS;
      while (farther !== undefined && (await farther.locked()) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(1, deadline - Date.now()))));
        pause = Math.min(pause * 2, FOLLOW_MAX_PAUSE_MS);
      }
      await this.following.readThrough();
    } catch (error) {
      this.onFailure('locked', error);
    } finally {
      await runSteps(this.releasing(nearer, false));
    }
  }
}

/** The same lock for tiers whose locks, and reads, all answer synchronously. */
export class SyncTieredMutex extends TieredMutex implements SyncCacheMutex {
  acquireSync(wait = true, timeoutMs?: number): boolean {
    const climb = runStepsSync(this.climbing(wait, timeoutMs, true));
    if (isWon(climb, wait)) {
      this.held = climb.held;
      return true;
    }
    if (!wait && climb.held.length > 0) this.follow(climb.busy, climb.held);
    else runStepsSync(this.releasing(climb.held, true));
    return false;
  }

  releaseSync(): void {
    const held = this.held;
    this.held = [];
    runStepsSync(this.releasing(held, true));
  }

  lockedSync(): boolean {
    return runStepsSync(this.lookingAt(true));
  }
}

/** A climb wins when no lock was busy, unless it only tried and found the value already fresh. */
function isWon(climb: Climb, wait: boolean): boolean {
  return climb.busy === undefined && !(climb.foundFresh === true && !wait);
}
