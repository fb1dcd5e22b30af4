import { expect } from 'chai';
import { FileBackend, makeRegion, MemoryBackend, type CacheMutex, type CacheRegion } from '../../src/index.js';
import { sleep } from '../../src/time.js';
import { freshDir, removeTempDirs } from '../backends/lmdb/support.js';

after(removeTempDirs);

describe('creation outside the caller', () => {
  it('asyncCreationRunner: a missing key is created by the caller; a stale one is handed to the runner', async () => {
    const calls: Array<{ key: string; mutex: CacheMutex }> = [];
    const region = makeRegion({
      asyncCreationRunner: (target: CacheRegion, key, creator, mutex) => {
        calls.push({ key, mutex });
        setTimeout(async () => {
          try {
            await target.set(key, await creator());
          } finally {
            await mutex.release();
          }
        }, 5);
      },
    }).configure('memory', { expirationTime: 20 });
    expect(await region.getOrCreate('some key', () => 'first')).to.equal('first');
    expect(calls).to.have.length(0);
    await sleep(40);
    expect(await region.getOrCreate('some key', () => 'second')).to.equal('first');
    expect(calls).to.have.length(1);
    expect(calls[0]!.key).to.equal('some key');
    expect(calls[0]!.mutex).to.equal(region.getMutex('some key'));
    expect(await region.keyIsLocked('some key')).to.equal(true);
    await sleep(30);
    expect(await region.keyIsLocked('some key')).to.equal(false);
    expect(await region.getOrCreate('some key', () => 'third')).to.equal('second');
  });

  it('asyncCreationRunner receives a creator bound to creatorArgs', async () => {
    let seen: unknown;
    const region = makeRegion({
      asyncCreationRunner: (_region, _key, creator, mutex) => {
        seen = creator();
        void mutex.release();
      },
    }).configure('memory', { expirationTime: 10 });
    await region.set('k', 0);
    await sleep(20);
    await region.getOrCreate('k', (a: number, b: number) => a * b, { creatorArgs: [6, 7] });
    expect(seen).to.equal(42);
  });

  it('backgroundRefresh: every caller, the winner too, gets the stale value at once; the new one follows', async () => {
    const region = makeRegion().configure('memory', { expirationTime: 20, backgroundRefresh: true });
    let calls = 0;
    expect(await region.getOrCreate('k', () => ++calls)).to.equal(1);
    await sleep(40);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        region.getOrCreate('k', async () => {
          await sleep(10);
          return ++calls;
        }),
      ),
    );
    expect(results).to.deep.equal(Array(10).fill(1));
    await sleep(30);
    expect(calls).to.equal(2);
    expect(await region.get('k', { ignoreExpiration: true })).to.equal(2);
  });

  it('backgroundRefresh works for getOrCreateSync, and a failing background creator is an event', async () => {
    const region = makeRegion().configure('memory', { expirationTime: 10, backgroundRefresh: true });
    const errors: unknown[] = [];
    region.on('creatorError', ({ error }) => errors.push(error));
    region.setSync('k', 'old');
    await sleep(20);
    expect(
      region.getOrCreateSync('k', () => {
        throw new Error('background boom');
      }),
    ).to.equal('old');
    await sleep(20);
    expect(errors).to.have.length(1);
    expect((errors[0] as Error).message).to.equal('background boom');
    expect(await region.keyIsLocked('k')).to.equal(false);
    expect(region.getOrCreateSync('k', () => 'new')).to.equal('old');
    await sleep(20);
    expect(region.getSync('k', { ignoreExpiration: true })).to.equal('new');
  });

  it('a per-call backgroundRefresh overrides the region default', async () => {
    const region = makeRegion().configure('memory', { expirationTime: 10 });
    await region.set('k', 'old');
    await sleep(20);
    expect(await region.getOrCreate('k', () => 'new', { backgroundRefresh: true })).to.equal('old');
    await sleep(10);
    expect(await region.get('k', { ignoreExpiration: true })).to.equal('new');
  });

  it('close() lets a background refresh finish: its value is stored and its lock released before the backend closes', async () => {
    const directory = freshDir('background-close');
    const backend = new FileBackend({ directory });
    const region = makeRegion().configure(backend, { expirationTime: 10, backgroundRefresh: true });
    const errors: unknown[] = [];
    region.on('creatorError', ({ error }) => errors.push(error));
    region.on('backendError', ({ error }) => errors.push(error));
    await region.set('k', 'old');
    await sleep(20);
    expect(
      await region.getOrCreate('k', async () => {
        await sleep(50);
        return 'refreshed';
      }),
    ).to.equal('old');
    await region.close();
    expect(errors).to.deep.equal([]);
    const reopened = makeRegion().configure('file', { arguments: { directory } });
    expect(await reopened.get('k', { ignoreExpiration: true })).to.equal('refreshed');
    expect(await reopened.keyIsLocked('k')).to.equal(false);
    await reopened.close();
  });

  it('close() waits for a background refresh that never settles only up to the lock timeout', async () => {
    const region = makeRegion().configure('memory', { expirationTime: 10, backgroundRefresh: true, lockTimeout: 30 });
    await region.set('k', 'old');
    await sleep(20);
    expect(await region.getOrCreate('k', () => new Promise<string>(() => {}))).to.equal('old');
    // Without the bound this close() would never return and the test would time out.
    await region.close();
    expect(region.isConfigured).to.equal(false);
  });

  it('a background refresh whose lock release fails reports it as an event instead of crashing', async () => {
    // The fault a real backend cannot be made to produce on demand: a release that throws.
    class BrokenReleaseBackend extends MemoryBackend {
      getMutex(): CacheMutex {
        let held = false;
        return {
          acquire: () => !held && (held = true),
          release: () => {
            throw new Error('release failed');
          },
          locked: () => held,
        };
      }
    }
    const region = makeRegion().configure(new BrokenReleaseBackend(), { expirationTime: 10, backgroundRefresh: true, failOpen: false });
    const events: Array<{ operation: string; error: unknown }> = [];
    region.on('backendError', (event) => events.push(event));
    await region.set('k', 'old');
    await sleep(20);
    expect(await region.getOrCreate('k', () => 'new')).to.equal('old');
    await region.close();
    expect(events.map(({ operation, error }) => [operation, (error as Error).message])).to.deep.equal([['unlock', 'release failed']]);
  });
});
