// What the two on-host backends (lmdb and file) share: the cross-process creation lock (lock
// records with owner pid, thread id, token and lease; liveness checks; jittered polling; the
// per-process thread gate), size bounds with their sweeps, statistics shared by every writer, and
// option checking.
export { Backoff } from './backoff.js';
export { LOCK_RECORD_SIZE, decodeLockRecord, describeOwner, encodeLockRecord, newLockToken, ownRecord } from './lock-record.js';
export type { LockRecord } from './lock-record.js';
export { isStale } from './lock-staleness.js';
export type { StalenessPolicy } from './lock-staleness.js';
export { isProcessAlive } from './process-liveness.js';
export { ProcessLocks, ProcessMutex } from './process-mutex.js';
export type { LockStore, ProcessLockSettings } from './process-mutex.js';
export { sleepSync } from './sleep-sync.js';
export { GATE_SLOT_BYTES, SlotGate, gateHash, newGateObservation } from './thread-gate.js';
export type { GateObservation, GateTicket, ThreadGate } from './thread-gate.js';
export { SWEEP_LOW_WATER, isOverBounds, planSweep } from './sweep-plan.js';
export type { SweepBounds, SweepCandidate, SweepPlan } from './sweep-plan.js';
export { SweepScheduler } from './sweep-scheduler.js';
export {
  InstanceCounters,
  PROCESS_COUNTERS_BYTES,
  ProcessCounters,
  RETIRED_WRITER,
  SharedStats,
  decodeStatsRecord,
  encodeStatsRecord,
  mergeStatsRecords,
} from './shared-stats.js';
export type { SharedStatsOptions, StatsCounters, StatsRecords } from './shared-stats.js';
export type { SweepReason, SweepSchedule } from './sweep-scheduler.js';
export {
  DEFAULT_LOCK_LEASE_MS,
  DEFAULT_LOCK_POLL_MS,
  DEFAULT_MAX_BYTES,
  DEFAULT_SWEEP_INTERVAL_MS,
  LOCAL_STORE_OPTION_NAMES,
  MIN_MAX_AGE_GRACE_MS,
  OptionReader,
  checkArgumentsObject,
  effectiveMaxAge,
  readLocalStoreOptions,
} from './options.js';
export type { LocalStoreOptions, LocalStoreSettings } from './options.js';
export { entryBytesWithin, isPastMaxAge } from './entry-bytes.js';
