// The shared suites every backend runs, against the run's real Redis (standalone).
import '../../../src/index.js';
import { backendConformanceSuite, mutexConformanceSuite } from '../../../src/testing/index.js';
import { sharedRedisUrl, uniquePrefix } from './support.js';

const prefix = uniquePrefix('conformance');

backendConformanceSuite({ backend: 'redis', arguments: () => ({ url: sharedRedisUrl(), prefix }) });
backendConformanceSuite({
  backend: 'redis',
  label: 'host/port options, short lease',
  arguments: () => {
    const url = new URL(sharedRedisUrl());
    return { host: url.hostname, port: Number(url.port), db: 1, prefix, lockLease: '2s' };
  },
});
mutexConformanceSuite({ backend: 'redis', arguments: () => ({ url: sharedRedisUrl(), prefix }) });
mutexConformanceSuite({ backend: 'redis', label: 'short lease', arguments: () => ({ url: sharedRedisUrl(), prefix, lockLease: '2s' }) });
