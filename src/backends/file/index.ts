// The `file` backend: a cache shared by every process and thread on the host through one
// directory of files, with O_EXCL lock files for the creation lock; needs no native addon.
export { FileBackend } from './file-backend.js';
export type { FileBackendOptions, FileSettings } from './options.js';
