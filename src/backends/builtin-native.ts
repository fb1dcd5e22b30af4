// Backends that load a native addon; only the main entry point imports this file.
import './builtin.js';
import { registerBackend } from './registry.js';
import { LmdbBackend } from './lmdb/index.js';
registerBackend('lmdb', LmdbBackend);
void registerBackend;
