// The creation lock of a tiered backend: the tiers' locks taken in order, nearest first. A caller
// reaches a tier's lock only after it won every lock nearer to it, so each tier sees one
// contender per member of the tier inside it (one thread per process on the host's lock, one
// process per host on the Redis lock). Having won a tier after others held it, the winner first
// looks in that tier: a value created meanwhile ends the climb, and the lock it holds so far is
// enough for the region to read that value again.
//
// A caller that only tries (an expired value is there to serve) and finds a farther tier busy
// keeps the nearer locks it won until that farther lock is free again, then reads the new value
// through into the nearer tiers before letting go: the creation is under way elsewhere, and the
// other callers of its thread, process or host find the nearer lock busy, or the value fresh,
// instead of asking the farther tier again. So a stampede on an expired key also reaches each
// tier once per member of the tier inside it.
//
// A tier whose lock cannot be reached (its server is down) is skipped and reported: the tiers
// that still work keep excluding each other's callers.
import type { CacheMutex, SyncCacheMutex } from '../api.js';

export interface TierLock<M extends CacheMutex> {
  readonly mutex: M;
  /** Whether the tier now holds a fresh value for the key: then no tier further out is needed. */
  readonly holdsFreshValue: () => boolean | Promise<boolean>;
}

/** How a follower waits for a farther lock to be free and then brings its value nearer. */
export interface Following {
  /** Longest time nearer locks are kept while a farther holder finishes. */
  readonly maxMs: number;
  /** Reads the key through every tier, copying a value found further out into the nearer ones. */
  readonly readThrough: () => unknown;
}

/** Pauses between two looks at a farther lock: from 2 ms doubling to 50 ms. */
const FOLLOW_FIRST_PAUSE_MS = 2;
const FOLLOW_MAX_PAUSE_MS = 50;

export type TierFailure = (operation: 'lock' | 'unlock' | 'locked', error: unknown) => void;

export class TieredMutex implements CacheMutex {
  /** Tiers whose locks this handle holds, nearest first. */
  protected held: CacheMutex[] = [];

  constructor(
    protected readonly tiers: ReadonlyArray<TierLock<CacheMutex>>,
    protected readonly onFailure: TierFailure,
    protected readonly following: Following,
  ) {}

  async acquire(wait = true, timeoutMs?: number): Promise<boolean> {
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const held: CacheMutex[] = [];
    let lastError: unknown;
    for (const [index, tier] of this.tiers.entries()) {
      let won: boolean;
      try {
        won = await tier.mutex.acquire(wait, remaining(deadline));
      } catch (error) {
        this.onFailure('lock', error);
        lastError = error;
        continue;
      }
      if (!won) {
        if (!wait && held.length > 0) this.follow(tier.mutex, held);
        else await this.releaseAll(held);
        return false;
      }
      held.push(tier.mutex);
      if (index < this.tiers.length - 1 && (await this.freshIn(tier))) break;
    }
    if (held.length === 0) throw lastError;
    this.held = held;
    return true;
  }

  async release(): Promise<void> {
    const held = this.held;
    this.held = [];
    await this.releaseAll(held);
  }

  async locked(): Promise<boolean> {
    for (const tier of this.tiers) {
      try {
        if (await tier.mutex.locked()) return true;
      } catch (error) {
        this.onFailure('locked', error);
      }
    }
    return false;
  }

  private async freshIn(tier: TierLock<CacheMutex>): Promise<boolean> {
    try {
      return await tier.holdsFreshValue();
    } catch {
      return false; // the climb goes on; reading the tier failed, which its own read reports
    }
  }

  /**
   * In the background: keeps `nearer` until `farther` is free (looking, not trying to take it, so
   * the farther tier sees no second attempt) or `maxMs` passed, reads the value through, lets go.
   */
  protected follow(farther: CacheMutex, nearer: CacheMutex[]): void {
    void (async () => {
      try {
        const deadline = Date.now() + this.following.maxMs;
        let pause = FOLLOW_FIRST_PAUSE_MS;
        while ((await farther.locked()) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(1, deadline - Date.now()))));
          pause = Math.min(pause * 2, FOLLOW_MAX_PAUSE_MS);
        }
        await this.following.readThrough();
      } catch (error) {
        this.onFailure('locked', error);
      } finally {
        await this.releaseAll(nearer);
      }
    })();
  }

  /** Farthest first, so a nearer tier's waiters wake only once every tier further out is free. */
  protected async releaseAll(held: CacheMutex[]): Promise<void> {
    for (const mutex of [...held].reverse()) {
      try {
        await mutex.release();
      } catch (error) {
        this.onFailure('unlock', error);
      }
    }
  }
}

/** The same lock for tiers that all answer synchronously. */
export class SyncTieredMutex extends TieredMutex implements SyncCacheMutex {
  constructor(
    private readonly syncTiers: ReadonlyArray<TierLock<SyncCacheMutex> & { readonly holdsFreshValueSync: () => boolean }>,
    onFailure: TierFailure,
    following: Following,
  ) {
    super(syncTiers, onFailure, following);
  }

  acquireSync(wait = true, timeoutMs?: number): boolean {
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const held: SyncCacheMutex[] = [];
    let lastError: unknown;
    for (const [index, tier] of this.syncTiers.entries()) {
      let won: boolean;
      try {
        won = tier.mutex.acquireSync(wait, remaining(deadline));
      } catch (error) {
        this.onFailure('lock', error);
        lastError = error;
        continue;
      }
      if (!won) {
        if (!wait && held.length > 0) this.follow(tier.mutex, held);
        else this.releaseAllSync(held);
        return false;
      }
      held.push(tier.mutex);
      if (index < this.syncTiers.length - 1 && freshInSync(tier)) break;
    }
    if (held.length === 0) throw lastError;
    this.held = held;
    return true;
  }

  releaseSync(): void {
    const held = this.held as SyncCacheMutex[];
    this.held = [];
    this.releaseAllSync(held);
  }

  lockedSync(): boolean {
    for (const tier of this.syncTiers) {
      try {
        if (tier.mutex.lockedSync()) return true;
      } catch (error) {
        this.onFailure('locked', error);
      }
    }
    return false;
  }

  private releaseAllSync(held: SyncCacheMutex[]): void {
    for (const mutex of [...held].reverse()) {
      try {
        mutex.releaseSync();
      } catch (error) {
        this.onFailure('unlock', error);
      }
    }
  }
}

function freshInSync(tier: { readonly holdsFreshValueSync: () => boolean }): boolean {
  try {
    return tier.holdsFreshValueSync();
  } catch {
    return false;
  }
}

function remaining(deadline: number | undefined): number | undefined {
  return deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
}
