// The same API as the main entry point, with every backend that needs no native addon: lmdb is
// left out, and msgpackr runs without its optional native accelerator.
import '../src/backends/builtin.js';

export * from '../src/public-api.js';
