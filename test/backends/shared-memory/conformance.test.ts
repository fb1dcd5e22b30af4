import '../../../src/index.js';
import { backendConformanceSuite, mutexConformanceSuite } from '../../../src/testing/index.js';

// Small tables so the suites also run with eviction and a short lock lease in play.
const small = () => ({ maxEntries: 2_000, maxBytes: 4 * 2 ** 20 });

backendConformanceSuite({ backend: 'shared-memory', arguments: small });
backendConformanceSuite({ backend: 'shared-memory', label: 'no per-thread decoded cache', arguments: () => ({ ...small(), localCacheEntries: 0 }) });
mutexConformanceSuite({ backend: 'shared-memory', arguments: small });
mutexConformanceSuite({ backend: 'shared-memory', label: 'short lease', arguments: () => ({ ...small(), lockLease: '1s' }) });
