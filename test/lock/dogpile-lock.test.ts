import { expect } from 'chai';
import { LocalMutex, runLock, runLockSync, type Freshness, type LockProtocol } from '../../src/lock/index.js';
import { LockTimeoutError } from '../../src/index.js';

/** A lock protocol over a plain variable, recording what the algorithm did. */
function protocol(options: { stored?: Freshness<string>; acquireResult?: boolean; handOff?: boolean } = {}) {
  const log: string[] = [];
  let stored: Freshness<string> = options.stored ?? { state: 'missing' };
  const mutex = new LocalMutex();
  const lock: LockProtocol<string> & { log: string[] } = {
    log,
    key: 'k',
    timeoutMs: 50,
    onTimeout: 'error',
    read: () => {
      log.push('read');
      return stored;
    },
    acquire: (wait) => {
      log.push(wait ? 'acquire(wait)' : 'acquire(try)');
      return options.acquireResult ?? mutex.acquireSync();
    },
    release: () => {
      log.push('release');
      mutex.releaseSync();
    },
    create: () => {
      log.push('create');
      stored = { state: 'fresh', value: 'created' };
      return 'created';
    },
    handOff: options.handOff ? () => log.push('handOff') : undefined,
    onStaleServed: () => log.push('staleServed'),
  };
  return { lock, mutex };
}

describe('dogpile lock algorithm', () => {
  it('a fresh value never touches the lock', () => {
    const { lock } = protocol();
    expect(runLockSync(lock, { state: 'fresh', value: 'v' })).to.equal('v');
    expect(lock.log).to.deep.equal([]);
  });

  it('a stale value with the lock free: creates without reading again (no double read)', () => {
    const { lock } = protocol();
    expect(runLockSync(lock, { state: 'stale', value: 'old' })).to.equal('created');
    expect(lock.log).to.deep.equal(['acquire(try)', 'create', 'release']);
  });

  it('a stale value with the lock held elsewhere: serves the stale value at once', () => {
    const { lock } = protocol({ acquireResult: false });
    expect(runLockSync(lock, { state: 'stale', value: 'old' })).to.equal('old');
    expect(lock.log).to.deep.equal(['acquire(try)', 'staleServed']);
  });

  it('a stale value with a hand-off: the lock stays held for the runner, the stale value returns', () => {
    const { lock, mutex } = protocol({ handOff: true });
    expect(runLockSync(lock, { state: 'stale', value: 'old' })).to.equal('old');
    expect(lock.log).to.deep.equal(['acquire(try)', 'handOff']);
    expect(mutex.locked()).to.equal(true);
  });

  it('a missing value: waits for the lock, reads again, and creates only when still missing', () => {
    const { lock } = protocol();
    expect(runLockSync(lock, { state: 'missing' })).to.equal('created');
    expect(lock.log).to.deep.equal(['acquire(wait)', 'read', 'create', 'release']);
  });

  it('a missing value created meanwhile by the lock holder: returned without creating', () => {
    const { lock } = protocol({ stored: { state: 'fresh', value: 'theirs' } });
    expect(runLockSync(lock, { state: 'missing' })).to.equal('theirs');
    expect(lock.log).to.deep.equal(['acquire(wait)', 'read', 'release']);
  });

  it('a creator that throws releases the lock and the error reaches the caller', () => {
    const { lock, mutex } = protocol();
    lock.create = () => {
      throw new Error('boom');
    };
    expect(() => runLockSync(lock, { state: 'missing' })).to.throw('boom');
    expect(mutex.locked()).to.equal(false);
  });

  it('an async creator that rejects releases the lock too', async () => {
    const { lock, mutex } = protocol();
    lock.create = () => Promise.reject(new Error('async boom'));
    let caught: unknown;
    await runLock(lock, { state: 'missing' }).catch((error: unknown) => (caught = error));
    expect((caught as Error).message).to.equal('async boom');
    expect(mutex.locked()).to.equal(false);
  });

  it('a wait that runs out throws LockTimeoutError naming the key, or creates with onTimeout create', () => {
    const { lock } = protocol({ acquireResult: false });
    expect(() => runLockSync(lock, { state: 'missing' })).to.throw(LockTimeoutError, '"k"');
    const { lock: creating } = protocol({ acquireResult: false });
    const lenient = { ...creating, onTimeout: 'create' as const };
    expect(runLockSync(lenient, { state: 'missing' })).to.equal('created');
    expect(creating.log).to.deep.equal(['acquire(wait)', 'read', 'create']);
  });

  it('the synchronous driver refuses a step that answers with a promise, releasing the lock', () => {
    const { lock, mutex } = protocol();
    lock.create = () => Promise.resolve('late');
    expect(() => runLockSync(lock, { state: 'missing' })).to.throw(TypeError, /async API/);
    expect(mutex.locked()).to.equal(false);
  });
});

describe('LocalMutex', () => {
  it('hands the lock to waiters in arrival order and bounds each wait', async () => {
    const mutex = new LocalMutex();
    expect(mutex.acquire()).to.equal(true);
    const order: number[] = [];
    const first = Promise.resolve(mutex.acquire(true, 5_000)).then((ok) => order.push(1) && ok);
    const second = Promise.resolve(mutex.acquire(true, 5_000)).then((ok) => order.push(2) && ok);
    const timedOut = mutex.acquire(true, 10);
    expect(await timedOut).to.equal(false);
    mutex.release();
    expect(await first).to.equal(true);
    mutex.release();
    expect(await second).to.equal(true);
    expect(order).to.deep.equal([1, 2]);
    mutex.release();
    expect(mutex.locked()).to.equal(false);
  });

  it('a synchronous acquire never waits for a holder in the same thread', () => {
    const mutex = new LocalMutex();
    expect(mutex.acquireSync()).to.equal(true);
    expect(mutex.acquireSync()).to.equal(false);
    mutex.releaseSync();
    expect(mutex.lockedSync()).to.equal(false);
  });
});
