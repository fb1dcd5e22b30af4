// The shared suites every backend runs, over four chains: in-thread tiers, the on-host tiers,
// the whole chain down to the run's real Redis, and a file tier in front of the real memcached.
import '../../../src/index.js';
import { backendConformanceSuite, mutexConformanceSuite } from '../../../src/testing/index.js';
import { freshDir, removeTempDirs } from '../lmdb/support.js';
import { sharedServers } from '../memcached/support.js';
import { sharedRedisUrl, uniquePrefix } from '../redis/support.js';

after(removeTempDirs);

const prefix = uniquePrefix('tiered');
const inThread = () => ({ tiers: [{ backend: 'memory' }, { backend: 'memory-serialized' }] });
const onHost = () => ({ tiers: [{ backend: 'shared-memory' }, { backend: 'lmdb', arguments: { path: freshDir() } }] });
const everyTier = () => ({
  tiers: [{ backend: 'shared-memory' }, { backend: 'lmdb', arguments: { path: freshDir() } }, { backend: 'redis', arguments: { url: sharedRedisUrl(), prefix } }],
});

const nearMemcached = () => ({ tiers: [{ backend: 'file', arguments: { directory: freshDir('tiered-file') } }, { backend: 'memcached', arguments: { servers: sharedServers(), prefix } }] });

backendConformanceSuite({ backend: 'tiered', label: 'memory → memory-serialized', arguments: inThread });
backendConformanceSuite({ backend: 'tiered', label: 'shared-memory → lmdb', arguments: onHost });
backendConformanceSuite({ backend: 'tiered', label: 'shared-memory → lmdb → redis', arguments: everyTier });
// memcached counts TTLs in whole seconds and may expire an entry up to a second early.
backendConformanceSuite({ backend: 'tiered', label: 'file → memcached', arguments: nearMemcached, expirySlackMs: 1000 });
mutexConformanceSuite({ backend: 'tiered', label: 'memory → memory-serialized', arguments: inThread });
mutexConformanceSuite({ backend: 'tiered', label: 'shared-memory → lmdb', arguments: onHost });
mutexConformanceSuite({ backend: 'tiered', label: 'shared-memory → lmdb → redis', arguments: everyTier });
mutexConformanceSuite({ backend: 'tiered', label: 'file → memcached', arguments: nearMemcached });
