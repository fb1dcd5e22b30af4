// A process that takes a key's creation lock through a region and never finishes creating, so
// its parent can SIGKILL it while it holds the lock. Arguments: servers, prefix, key.
import { makeRegion } from '../../../../src/index.js';

const [servers, prefix, key] = process.argv.slice(2) as [string, string, string];
const region = makeRegion({ name: 'lock-holder' }).configure('memcached', {
  expirationTime: '1m',
  lockTimeout: '10s',
  arguments: { servers, prefix, lockLease: '2s' },
});

void region.getOrCreate(key, () => {
  process.send!({ type: 'creating', pid: process.pid });
  return new Promise<string>(() => {
    // never settles: the process is killed while it holds the lock
  });
});
