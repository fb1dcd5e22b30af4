import '../../../src/index.js';
import { backendConformanceSuite, mutexConformanceSuite } from '../../../src/testing/index.js';
import { freshDir, removeTempDirs } from './support.js';

after(removeTempDirs);

backendConformanceSuite({ backend: 'file', arguments: () => ({ directory: freshDir() }) });
backendConformanceSuite({ backend: 'file', label: 'small bounds', arguments: () => ({ directory: freshDir(), maxEntries: 500, maxBytes: 8 * 2 ** 20 }) });
mutexConformanceSuite({ backend: 'file', arguments: () => ({ directory: freshDir() }) });
mutexConformanceSuite({ backend: 'file', label: 'short lease', arguments: () => ({ directory: freshDir(), lockLease: '300ms' }) });
