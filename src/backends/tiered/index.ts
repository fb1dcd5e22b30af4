export { TieredBackend, type TieredBackendHandle } from './tiered-backend.js';
export type { TierOptions, TieredBackendOptions } from './options.js';
export { SyncTieredMutex, TieredMutex } from './tiered-mutex.js';
