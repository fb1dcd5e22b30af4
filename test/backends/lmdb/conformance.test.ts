import '../../../src/index.js';
import { backendConformanceSuite, mutexConformanceSuite } from '../../../src/testing/index.js';
import { freshDir, removeTempDirs } from './support.js';

after(removeTempDirs);

backendConformanceSuite({ backend: 'lmdb', arguments: () => ({ path: freshDir() }) });
backendConformanceSuite({
  backend: 'lmdb',
  label: 'small bounds, durable commits',
  arguments: () => ({ path: freshDir(), maxEntries: 500, maxBytes: 8 * 2 ** 20, noSync: false }),
});
mutexConformanceSuite({ backend: 'lmdb', arguments: () => ({ path: freshDir() }) });
mutexConformanceSuite({ backend: 'lmdb', label: 'short lease', arguments: () => ({ path: freshDir(), lockLease: '300ms' }) });
