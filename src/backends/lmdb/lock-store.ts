// Lock records in the `dogpile:locks` database. Each change happens inside one LMDB write
// transaction (`transactionSync`): LMDB serialises write transactions across every process and
// thread of the environment with its own robust mutex, so the read-check-write inside is atomic
// and there is never a second owner. A process that dies mid-transaction has it aborted by LMDB.
//
// lmdb-js's own `attemptLock` is not used: it is process-local, and a waiter that registered a
// callback and then went away makes a later `unlock` abort the process.
import type { LockStore, StalenessPolicy } from '../local-store/index.js';
import { decodeLockRecord, encodeLockRecord, isStale, type LockRecord } from '../local-store/index.js';
import type { BinaryDatabase } from './environment.js';

export class LmdbLockStore implements LockStore {
  constructor(private readonly db: BinaryDatabase) {}

  tryAcquire(key: string, record: LockRecord, policy: StalenessPolicy, freshView: boolean): boolean {
    // A read first: while the lock is held, waiters only read and never queue on the write lock.
    if (freshView) this.db.resetReadTxn();
    const seen = this.current(key);
    if (seen !== undefined && !isStale(seen, Date.now(), policy)) return false;
    const bytes = encodeLockRecord(record);
    return this.db.transactionSync(() => {
      const current = this.current(key);
      if (current !== undefined && !isStale(current, Date.now(), policy)) return false;
      this.db.putSync(key, bytes);
      return true;
    });
  }

  renew(key: string, record: LockRecord): boolean {
    const bytes = encodeLockRecord(record);
    return this.db.transactionSync(() => {
      if (this.current(key)?.token !== record.token) return false;
      this.db.putSync(key, bytes);
      return true;
    });
  }

  release(key: string, token: string): boolean {
    return this.db.transactionSync(() => {
      if (this.current(key)?.token !== token) return false;
      this.db.removeSync(key);
      return true;
    });
  }

  isHeld(key: string, policy: StalenessPolicy): boolean {
    this.db.resetReadTxn();
    const record = this.current(key);
    return record !== undefined && !isStale(record, Date.now(), policy);
  }

  /** Decoded at once: `getBinaryFast` hands out a buffer that the next read overwrites. */
  private current(key: string): LockRecord | undefined {
    return decodeLockRecord(this.db.getBinaryFast(key));
  }
}
