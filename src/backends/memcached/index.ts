export { MemcachedBackend, ITEM_OVERHEAD_BYTES } from './backend.js';
export type { MemcachedBackendHandle } from './backend.js';
export { MemcachedRefusedError } from './connection.js';
export { MemcachedKeys, MAX_KEY_BYTES, LOCK_MARKER } from './keys.js';
export { MemcachedMutex } from './lock.js';
export type { MemcachedBackendOptions } from './options.js';
