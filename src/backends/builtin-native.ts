// Backends that load a native addon; only the main entry point imports this file.
import './builtin.js';
import { LmdbBackend } from './lmdb/index.js';
import { registerBackend } from './registry.js';

registerBackend('lmdb', LmdbBackend);
