// The chain of locks, over real tiers in one thread (shared memory, then lmdb): the farther lock
// is tried only by the winner of the nearer one, a fresh value ends the climb, and a caller that
// finds the farther lock busy keeps the nearer one until the farther holder is done.
import { expect } from 'chai';
import { attachRegion, CachedValue, makeRegion, registerBackend, type CacheRegion } from '../../../src/index.js';
import type { CacheMutex } from '../../../src/backends/api.js';
import { LmdbBackend } from '../../../src/backends/lmdb/index.js';
import type { TieredBackend } from '../../../src/backends/tiered/index.js';
import { encodeEnvelope, msgpackSerializer } from '../../../src/serialization/index.js';
import { freshDir, removeTempDirs } from '../lmdb/support.js';

after(removeTempDirs);

/** An lmdb tier that counts the attempts on its locks. */
class CountingLmdbBackend extends LmdbBackend {
  static attempts = 0;
  override getMutex(key: string) {
    const mutex = super.getMutex(key);
    const [acquire, acquireSync] = [mutex.acquire.bind(mutex), mutex.acquireSync.bind(mutex)];
    mutex.acquire = (wait, timeoutMs) => {
      CountingLmdbBackend.attempts++;
      return acquire(wait, timeoutMs);
    };
    mutex.acquireSync = (wait, timeoutMs) => {
      CountingLmdbBackend.attempts++;
      return acquireSync(wait, timeoutMs);
    };
    return mutex;
  }
}
registerBackend('counting-lmdb', CountingLmdbBackend);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('tiered: the chain of locks', function () {
  this.timeout(20_000);
  let region: CacheRegion;
  let path: string;
  const others: Array<{ close(): unknown }> = [];
  beforeEach(() => {
    path = freshDir();
    CountingLmdbBackend.attempts = 0;
    region = makeRegion().configure('tiered', {
      expirationTime: '1m',
      lockTimeout: '5s',
      arguments: { tiers: [{ backend: 'shared-memory' }, { backend: 'counting-lmdb', arguments: { path } }] },
    });
  });
  afterEach(async () => {
    await Promise.all(others.splice(0).map((other) => other.close()));
    await region.close();
  });
  const mutex = (key: string): CacheMutex => (region.actualBackend as TieredBackend).getMutex(key)!;
  /** Once every lock on `key` is let go (checked), what the nearest tier (shared memory) holds. */
  async function nearestAfterLettingGo(key: string): Promise<unknown> {
    const deadline = Date.now() + 5_000;
    while ((await mutex(key).locked()) && Date.now() < deadline) await sleep(10);
    expect(await mutex(key).locked(), 'every lock let go').to.equal(false);
    const shm = (region.actualBackend as TieredBackend).tierBackends[0]!;
    return (shm.getSync!(key) as CachedValue).payload;
  }

  it('of five callers trying at once, one wins; only the winner of the nearer lock tries the farther one', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => mutex('k').acquire(false)));
    expect(results.filter(Boolean)).to.have.length(1);
    expect(CountingLmdbBackend.attempts).to.equal(1);
    expect(await mutex('k').locked()).to.equal(true);
  });

  it('a waiter that wins the nearer lock after the holder stored a value stops there: no attempt on the farther lock', async () => {
    const holder = mutex('k');
    expect(await holder.acquire(true, 1_000)).to.equal(true);
    const waiter = mutex('k');
    const waiting = waiter.acquire(true, 5_000);
    await sleep(30);
    await region.set('k', 'created by the holder');
    await holder.release();
    expect(await waiting).to.equal(true);
    expect(CountingLmdbBackend.attempts, 'only the holder tried lmdb').to.equal(1);
    await waiter.release();
    expect(await mutex('k').locked()).to.equal(false);
  });

  it('the synchronous chain behaves the same way', () => {
    const holder = mutex('s') as CacheMutex & { acquireSync(wait?: boolean, timeoutMs?: number): boolean; releaseSync(): void };
    expect(holder.acquireSync(false)).to.equal(true);
    const other = mutex('s') as typeof holder;
    expect(other.acquireSync(false)).to.equal(false);
    expect(CountingLmdbBackend.attempts).to.equal(1);
    holder.releaseSync();
    expect(other.acquireSync(false)).to.equal(true);
    other.releaseSync();
  });

  it('finding the farther lock busy, a trying caller keeps the nearer one until it is free, then brings the new value nearer', async () => {
    // Another process of the host holds the lmdb lock while it creates.
    const elsewhere = new LmdbBackend({ path });
    others.push(elsewhere);
    const remote = elsewhere.getMutex('k');
    expect(remote.acquireSync(false)).to.equal(true);

    expect(await mutex('k').acquire(false), 'lmdb busy').to.equal(false);
    expect(await mutex('k').acquire(false), 'shared memory kept by the first caller').to.equal(false);
    expect(CountingLmdbBackend.attempts, 'the second caller never reached lmdb').to.equal(1);

    elsewhere.setSync('k', encodeEnvelope(Date.now(), msgpackSerializer('made elsewhere')));
    remote.releaseSync();
    expect(await nearestAfterLettingGo('k'), 'read through into shared memory before letting go').to.equal('made elsewhere');
    const next = mutex('k');
    expect(await next.acquire(true, 1_000), 'free for a waiter').to.equal(true);
    await next.release();
  });

  it('a try that wins every lock but finds the value made meanwhile answers false, brings it nearer and creates nothing', async () => {
    // Another process of the host stored a fresh value after this caller read the stale one.
    const elsewhere = new LmdbBackend({ path });
    others.push(elsewhere);
    elsewhere.setSync('k', encodeEnvelope(Date.now(), msgpackSerializer('made meanwhile')));

    expect(await mutex('k').acquire(false), 'the try gives way to the fresh value').to.equal(false);
    expect(CountingLmdbBackend.attempts).to.equal(1);
    expect(await nearestAfterLettingGo('k'), 'read through into shared memory').to.equal('made meanwhile');

    // A waiter still takes the locks: the region reads again after a wait and finds the value.
    const waiter = mutex('k');
    expect(await waiter.acquire(true)).to.equal(true);
    await waiter.release();
  });

  it('closing the region while it follows a farther holder: close() lets the follow finish, value read through', async () => {
    const elsewhere = new LmdbBackend({ path });
    others.push(elsewhere);
    const remote = elsewhere.getMutex('k');
    expect(remote.acquireSync(false)).to.equal(true);
    // Another thread's region over the same shared memory, to look at it once this one closed.
    const sibling = attachRegion(region.share());
    others.push(sibling);

    expect(await mutex('k').acquire(false), 'lmdb busy: following').to.equal(false);
    const closing = region.close();
    await sleep(30);
    elsewhere.setSync('k', encodeEnvelope(Date.now(), msgpackSerializer('made elsewhere')));
    remote.releaseSync();
    await closing;

    const shm = (sibling.actualBackend as TieredBackend).tierBackends[0]!;
    expect((shm.getSync!('k') as CachedValue).payload, 'read through before closing').to.equal('made elsewhere');
    expect(shm.getMutex!('k')!.locked(), 'the nearer lock let go').to.equal(false);
  });
});
