export { MISSING, runLock, runLockSync } from './dogpile-lock.js';
export type { Freshness, LockProtocol } from './dogpile-lock.js';
export { LocalMutex, LocalMutexRegistry } from './local-mutex.js';
