// The main entry point: the whole API with every built-in backend, native ones (lmdb) included.
// `dogpile-cache/native-free` offers the same API without loading any native addon.
import './backends/builtin-native.js';

export * from './public-api.js';
export { LmdbBackend } from './backends/lmdb/index.js';
export type { LmdbBackendOptions } from './backends/lmdb/index.js';
