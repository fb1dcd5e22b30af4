// The shared suites every backend runs, against the run's real memcached.
import '../../../src/index.js';
import { backendConformanceSuite, mutexConformanceSuite } from '../../../src/testing/index.js';
import { sharedServers, uniquePrefix } from './support.js';

const prefix = uniquePrefix('conformance');
// memcached counts TTLs in whole seconds and may expire an entry up to a second early.
const expirySlackMs = 1000;

backendConformanceSuite({ backend: 'memcached', arguments: () => ({ servers: sharedServers(), prefix }), expirySlackMs });
backendConformanceSuite({
  backend: 'memcached',
  label: 'hashed keys: 220-byte prefix budget, short lease',
  arguments: () => ({ servers: sharedServers(), prefix: `${prefix}${'p'.repeat(100)}:`, lockLease: '2s' }),
  expirySlackMs,
});
mutexConformanceSuite({ backend: 'memcached', arguments: () => ({ servers: sharedServers(), prefix }) });
mutexConformanceSuite({ backend: 'memcached', label: 'short lease', arguments: () => ({ servers: sharedServers(), prefix, lockLease: '2s' }) });
