// The `lmdb` backend: a cache shared by every process and thread on the host through one LMDB
// environment, with a cross-process creation lock, shared invalidation and size-bounded sweeps.
export { LmdbBackend } from './lmdb-backend.js';
export type { LmdbBackendOptions, LmdbSettings } from './options.js';
