// When a lock record no longer protects anything and may be taken over.
import type { LockRecord } from './lock-record.js';
import { isProcessAlive } from './process-liveness.js';

export interface StalenessPolicy {
  /**
   * Also treat a record as stale when its owner process is gone. Only valid when every process
   * that shares the store sees the same process ids (one host, one pid namespace).
   */
  readonly checkOwnerAlive: boolean;
}

/**
 * A record is stale once its lease has passed, or (with `checkOwnerAlive`) as soon as its owner
 * process has exited. A record of a live thread of this very process is judged by its lease only:
 * threads cannot be probed from outside.
 */
export function isStale(record: LockRecord, nowMs: number, policy: StalenessPolicy): boolean {
  if (record.leaseUntil <= nowMs) return true;
  if (!policy.checkOwnerAlive || record.pid === process.pid) return false;
  return !isProcessAlive(record.pid);
}
