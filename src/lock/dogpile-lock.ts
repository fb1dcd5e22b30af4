import { LockTimeoutError } from '../errors.js';
import { isThenable, type MaybePromise } from '../backends/api.js';

/** What a read found, already judged against expiration and invalidation by the caller. */
export type Freshness<T> =
  | { readonly state: 'fresh'; readonly value: T }
  | { readonly state: 'stale'; readonly value: T }
  | { readonly state: 'missing' };

export const MISSING: Freshness<never> = Object.freeze({ state: 'missing' });

/**
 * Everything the dogpile lock needs to know about one key. Each operation answers synchronously
 * for `runLockSync` and may answer with a promise for `runLock`.
 */
export interface LockProtocol<T> {
  /** The key, for error messages. */
  readonly key: string;
  readonly timeoutMs: number;
  /** On a timed-out wait: throw `LockTimeoutError`, or create without holding the lock. */
  readonly onTimeout: 'error' | 'create';
  /** Reads the store again (after waiting for the lock). */
  read(): MaybePromise<Freshness<T>>;
  /** Takes the lock; `wait` false tries once. Resolves false when not taken in time. */
  acquire(wait: boolean): MaybePromise<boolean>;
  release(): MaybePromise<void>;
  /** Runs the creator and stores its value; returns the value. */
  create(): MaybePromise<T>;
  /**
   * When set, a caller that wins the lock over a stale value hands creation (and the duty to
   * release the lock) to this function and returns the stale value at once.
   */
  readonly handOff?: (() => void) | undefined;
  /** Counts a stale value served because someone else holds the lock. */
  onStaleServed?(): void;
  /** Counts a caller whose wait for the lock ended with another caller's fresh value. */
  onServedAfterWait?(): void;
  /** Counts a wait for the lock that ran out. */
  onTimedOut?(): void;
}

type Step = MaybePromise<unknown>;

/**
 * dogpile.cache's Lock, written once as a generator so that the same steps run synchronously
 * (`runLockSync`) and asynchronously (`runLock`). `first` is the read the caller already made.
 *
 * 1. Fresh: return it; the lock is never touched.
 * 2. Stale: try the lock without waiting. Lost: serve the stale value. Won: create, or hand the
 *    creation off and serve the stale value.
 * 3. Missing: wait for the lock (bounded), then read again: another caller may have created it.
 */
function* dogpile<T>(lock: LockProtocol<T>, first: Freshness<T>): Generator<Step, T, unknown> {
  if (first.state === 'fresh') return first.value;

  if (first.state === 'stale') {
    if (!(yield lock.acquire(false))) {
      lock.onStaleServed?.();
      return first.value;
    }
    return yield* createHolding(lock, first);
  }

  if (!(yield lock.acquire(true))) {
    lock.onTimedOut?.();
    if (lock.onTimeout === 'error') throw new LockTimeoutError(lock.key, lock.timeoutMs);
    const again = (yield lock.read()) as Freshness<T>;
    if (again.state === 'fresh') return again.value;
    return (yield lock.create()) as T;
  }
  let again: Freshness<T>;
  try {
    again = (yield lock.read()) as Freshness<T>;
  } catch (error) {
    yield lock.release();
    throw error;
  }
  if (again.state === 'fresh') {
    lock.onServedAfterWait?.();
    yield lock.release();
    return again.value;
  }
  return yield* createHolding(lock, again);
}

/** Called with the lock held: create (releasing afterwards), or hand off over a stale value. */
function* createHolding<T>(lock: LockProtocol<T>, current: Freshness<T>): Generator<Step, T, unknown> {
  if (current.state === 'stale' && lock.handOff) {
    lock.handOff();
    return current.value;
  }
  try {
    return (yield lock.create()) as T;
  } finally {
    yield lock.release();
  }
}

/** Runs the lock with synchronous operations; a step that returns a promise is a programming error. */
export function runLockSync<T>(lock: LockProtocol<T>, first: Freshness<T>): T {
  const steps = dogpile(lock, first);
  let result = steps.next();
  while (!result.done) {
    if (isThenable(result.value)) {
      // Thrown into the steps so that a held lock is released on the way out.
      result = steps.throw(
        new TypeError(`A synchronous cache operation for key ${JSON.stringify(lock.key)} got a promise; use the async API.`),
      );
      continue;
    }
    result = steps.next(result.value);
  }
  return result.value;
}

/** Runs the lock, awaiting each step that answers with a promise. */
export async function runLock<T>(lock: LockProtocol<T>, first: Freshness<T>): Promise<T> {
  const steps = dogpile(lock, first);
  let result = steps.next();
  while (!result.done) {
    let settled: unknown;
    let failed = false;
    try {
      settled = isThenable(result.value) ? await result.value : result.value;
    } catch (error) {
      failed = true;
      settled = error;
    }
    result = failed ? steps.throw(settled) : steps.next(settled);
  }
  return result.value;
}
