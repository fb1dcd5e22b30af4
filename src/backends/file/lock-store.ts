// Creation locks as files: `locks/<hash>.lock` holds the owner's lock record (pid, thread id,
// token, lease). Taking a free lock is one `open(O_CREAT | O_EXCL)`, which the kernel makes atomic:
// of all processes and threads racing for a missing file exactly one creates it.
//
// Changing a lock file that exists (renewing it, releasing it, taking over a stale one) is a
// read-check-write, so it runs under a second O_EXCL file, the guard (`<hash>.lock.guard`), held
// for a few system calls. Under the guard the lock file is replaced in one step (temp + rename)
// or removed, never left half-written; creators cannot interfere because O_EXCL fails while the
// file exists. Hence never two owners, as long as no process stalls for longer than the guard's
// lease (5 s) in the middle of those few calls.
//
// A lock file that exists but has no complete record yet was just created and is being written:
// it counts as held until its modification time is a lease old (its creator died in between).
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LockStore, StalenessPolicy } from '../local-store/index.js';
import { decodeLockRecord, encodeLockRecord, isStale, newLockToken, ownRecord, sleepSync, type LockRecord } from '../local-store/index.js';
import { unlinkQuietly, writeAtomicSync } from './atomic-write.js';
import type { FileLayout } from './layout.js';

type LockFileState =
  | { readonly kind: 'absent' }
  | { readonly kind: 'record'; readonly record: LockRecord }
  | { readonly kind: 'partial'; readonly mtimeMs: number };

const ABSENT: LockFileState = { kind: 'absent' };
/** The guard is held for microseconds; one older than this was left by a stalled or dead process. */
const GUARD_LEASE_MS = 5_000;
/** How long a release or renewal waits for a busy guard (breaking stale ones meanwhile). */
const GUARD_WAIT_MS = 2 * GUARD_LEASE_MS;
/** Guards moved aside while being broken, left behind by a crash in between, are removed after this. */
const LEFTOVER_AGE_MS = 60_000;
const BUSY = Symbol('guard busy');

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException)?.code;
}

function readLockFile(path: string): LockFileState {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    if (code(error) === 'ENOENT') return ABSENT;
    throw error;
  }
  const record = decodeLockRecord(bytes);
  if (record) return { kind: 'record', record };
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats ? { kind: 'partial', mtimeMs: stats.mtimeMs } : ABSENT;
}

function sameState(a: LockFileState, b: LockFileState): boolean {
  if (a.kind === 'record' && b.kind === 'record') return a.record.token === b.record.token;
  if (a.kind === 'partial' && b.kind === 'partial') return a.mtimeMs === b.mtimeMs;
  return false;
}

/** Creates `path` with `bytes` only if it does not exist; false when it does. */
function createExclusive(path: string, bytes: Uint8Array): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if (code(error) === 'EEXIST') return false;
    if (code(error) !== 'ENOENT') throw error;
    // The locks directory was removed (a cleanup of the cache directory): make it again.
    mkdirSync(dirname(path), { recursive: true });
    try {
      fd = openSync(path, 'wx');
    } catch (again) {
      if (code(again) === 'EEXIST') return false;
      throw again;
    }
  }
  try {
    writeSync(fd, bytes);
  } catch (error) {
    closeSync(fd);
    unlinkQuietly(path);
    throw error;
  }
  closeSync(fd);
  return true;
}

export class FileLockStore implements LockStore {
  constructor(
    private readonly layout: FileLayout,
    private readonly leaseMs: number,
    /** Used for guards, whose staleness follows the same liveness rule as the locks. */
    private readonly guardPolicy: StalenessPolicy,
  ) {}

  tryAcquire(key: string, record: LockRecord, policy: StalenessPolicy): boolean {
    const path = this.layout.lockPath(key);
    const bytes = encodeLockRecord(record);
    // Creating first: a free lock costs no read.
    if (createExclusive(path, bytes)) return true;
    const state = readLockFile(path);
    if (state.kind === 'absent') return createExclusive(path, bytes);
    if (this.isLive(state, policy)) return false;
    // Stale: take it over under the guard, replacing the record in one step.
    const taken = this.withGuard(path, policy, 0, () => {
      const current = readLockFile(path);
      if (current.kind === 'absent') return createExclusive(path, bytes);
      if (this.isLive(current, policy)) return false;
      writeAtomicSync(this.layout, path, bytes);
      return true;
    });
    return taken === true;
  }

  renew(key: string, record: LockRecord): boolean {
    const path = this.layout.lockPath(key);
    return this.guarded(path, 'renew', () => {
      const current = readLockFile(path);
      if (current.kind !== 'record' || current.record.token !== record.token) return false;
      writeAtomicSync(this.layout, path, encodeLockRecord(record));
      return true;
    });
  }

  release(key: string, token: string): boolean {
    const path = this.layout.lockPath(key);
    return this.guarded(path, 'release', () => {
      const current = readLockFile(path);
      if (current.kind !== 'record' || current.record.token !== token) return false;
      unlinkSync(path);
      return true;
    });
  }

  isHeld(key: string, policy: StalenessPolicy): boolean {
    return this.isLive(readLockFile(this.layout.lockPath(key)), policy);
  }

  /**
   * Removes lock files nobody holds any more (their owner died, or their lease ran out) and
   * leftovers of broken guards. Returns how many lock files were removed.
   */
  sweepStale(policy: StalenessPolicy): number {
    let removed = 0;
    let names: string[];
    try {
      names = readdirSync(this.layout.locksDir);
    } catch (error) {
      if (code(error) === 'ENOENT') return 0;
      throw error;
    }
    for (const name of names) {
      const path = join(this.layout.locksDir, name);
      if (name.endsWith('.lock')) {
        if (this.isLive(readLockFile(path), policy)) continue;
        const gone = this.withGuard(path, policy, 0, () => {
          const current = readLockFile(path);
          return current.kind !== 'absent' && !this.isLive(current, policy) && unlinkQuietly(path);
        });
        if (gone === true) removed++;
      } else if (name.endsWith('.guard')) {
        this.breakGuardIfStale(path, policy);
      } else if (name.endsWith('.stale')) {
        const stats = statSync(path, { throwIfNoEntry: false });
        if (stats && stats.mtimeMs < Date.now() - LEFTOVER_AGE_MS) unlinkQuietly(path);
      }
    }
    return removed;
  }

  private isLive(state: LockFileState, policy: StalenessPolicy, partialLeaseMs = this.leaseMs): boolean {
    if (state.kind === 'absent') return false;
    if (state.kind === 'record') return !isStale(state.record, Date.now(), policy);
    return state.mtimeMs + partialLeaseMs > Date.now();
  }

  /** Runs `body` under the guard of `lockPath`, waiting for a busy guard; throws if it stays busy. */
  private guarded(lockPath: string, operation: string, body: () => boolean): boolean {
    const result = this.withGuard(lockPath, this.guardPolicy, GUARD_WAIT_MS, body);
    if (result === BUSY) {
      throw new Error(`file backend: the guard of lock file ${lockPath} stayed busy for ${GUARD_WAIT_MS} ms; lock ${operation} skipped.`);
    }
    return result;
  }

  private withGuard<T>(lockPath: string, policy: StalenessPolicy, waitMs: number, body: () => T): T | typeof BUSY {
    const guardPath = `${lockPath}.guard`;
    const token = newLockToken();
    const deadline = Date.now() + waitMs;
    for (let broken = 0; ; ) {
      if (createExclusive(guardPath, encodeLockRecord(ownRecord(token, Date.now() + GUARD_LEASE_MS)))) break;
      // A stale guard was just removed: try again at once (a few times, in case others race).
      if (this.breakGuardIfStale(guardPath, policy) && ++broken <= 3) continue;
      if (Date.now() >= deadline) return BUSY;
      sleepSync(1);
    }
    try {
      return body();
    } finally {
      const current = readLockFile(guardPath);
      if (current.kind === 'record' && current.record.token === token) unlinkQuietly(guardPath);
    }
  }

  /**
   * A guard whose holder died (or stalled past the guard lease) is moved aside under a unique
   * name, then checked: if what was moved is the stale guard that was judged, it is deleted; if a
   * fresh guard had replaced it in between, it is put back (unless yet another took its place).
   */
  /** True when a stale guard was removed (or had already gone). */
  private breakGuardIfStale(guardPath: string, policy: StalenessPolicy): boolean {
    const judged = readLockFile(guardPath);
    if (judged.kind === 'absent') return true;
    if (this.isLive(judged, policy, GUARD_LEASE_MS)) return false;
    const aside = `${guardPath}.${newLockToken()}.stale`;
    try {
      renameSync(guardPath, aside);
    } catch (error) {
      if (code(error) === 'ENOENT') return true;
      throw error;
    }
    let removedStale = true;
    if (!sameState(readLockFile(aside), judged)) {
      removedStale = false;
      try {
        linkSync(aside, guardPath);
      } catch {
        // Another guard took the place: the moved one's holder finds its guard gone on release.
      }
    }
    unlinkQuietly(aside);
    return removedStale;
  }
}
