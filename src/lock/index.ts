export { MISSING, runLock, runLockSync } from './dogpile-lock.js';
export type { Freshness, LockProtocol } from './dogpile-lock.js';
export { LocalMutex, LocalMutexRegistry } from './local-mutex.js';
export { Deferred, SingleFlight, joinWithin } from './single-flight.js';
export type { JoinOutcome } from './single-flight.js';
