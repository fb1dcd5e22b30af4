import '../../src/index.js';
import { backendConformanceSuite, mutexConformanceSuite } from '../../src/testing/index.js';

backendConformanceSuite({ backend: 'memory' });
backendConformanceSuite({ backend: 'memory', label: 'bounded', arguments: () => ({ maxEntries: 1000 }) });
backendConformanceSuite({ backend: 'memory-serialized' });
mutexConformanceSuite({ backend: 'memory' });
mutexConformanceSuite({ backend: 'memory-serialized' });
