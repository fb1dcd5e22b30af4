// Faults with real servers: stopped, hung (SIGSTOP) and restarted under a live backend, and a lock
// holder SIGKILLed. Operations fail with BackendUnavailableError within their timeout (never hang:
// the mocha timeout would catch it), the backend recovers by itself, and the lock passes on after
// the dead holder's lease.
import { expect } from 'chai';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { BackendUnavailableError, makeRegion } from '../../../src/index.js';
import { RedisBackend } from '../../../src/backends/redis/index.js';
import { startRedis, type ServerHandle } from '../../support/servers.js';
import { envelope, eventRecorder, eventually, uniquePrefix } from './support.js';

async function failure(operation: () => unknown): Promise<unknown> {
  try {
    await operation();
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail');
}

describe('redis faults', function () {
  this.timeout(30_000);
  let server: ServerHandle;
  const open: Array<{ close(): Promise<void> }> = [];

  beforeEach(async () => {
    server = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((backend) => backend.close()));
    await server.dispose();
  });

  function make(args: Record<string, unknown> = {}): RedisBackend {
    const backend = new RedisBackend({ url: server.url, prefix: uniquePrefix('faults'), commandTimeout: '300ms', ...args });
    open.push(backend);
    return backend;
  }

  it('server stopped: every operation fails with BackendUnavailableError, release reports instead of throwing', async () => {
    const { events, sink } = eventRecorder();
    const backend = make();
    backend.setEventSink(sink);
    await backend.set('k', envelope('x'));
    const held = backend.getMutex('held')!;
    expect(await held.acquire(false)).to.equal(true);
    await server.stop();

    for (const operation of [
      () => backend.get('k'),
      () => backend.set('k', envelope('y')),
      () => backend.delete('k'),
      () => backend.getMulti(['k', 'l']),
      () => backend.setMulti([['k', envelope('z')]]),
      () => backend.deleteMulti(['k']),
      () => backend.getMutex('other')!.acquire(true, 5_000),
      async () => backend.getMutex('other')!.locked(),
    ]) {
      expect(await failure(operation)).to.be.instanceOf(BackendUnavailableError);
    }
    await held.release();
    expect(events.some((event) => event.type === 'backendError' && event.operation === 'lock release')).to.equal(true);
    expect(events.some((event) => event.type === 'backendError' && event.operation === 'connection')).to.equal(true);
  });

  it('server hung (SIGSTOP): operations time out with BackendUnavailableError, then work again', async () => {
    const backend = make();
    await backend.set('k', envelope('x'));
    process.kill(server.pid!, 'SIGSTOP');
    try {
      const error = await failure(() => backend.get('k'));
      expect(error).to.be.instanceOf(BackendUnavailableError);
      expect((error as Error).message).to.match(/timed out/i);
      expect(await failure(() => backend.getMutex('k')!.acquire(true, 10_000))).to.be.instanceOf(BackendUnavailableError);
    } finally {
      process.kill(server.pid!, 'SIGCONT');
    }
    await eventually(async () => (await backend.get('k')) !== undefined, 10_000, 'reads after SIGCONT');
  });

  it('server restarted: the same backend recovers, locks included (scripts are reloaded)', async () => {
    const backend = make();
    await backend.set('k', envelope('before'));
    await server.restart();
    await eventually(
      async () => {
        await backend.set('k', envelope('after'));
        return true;
      },
      15_000,
      'writes after the restart',
    );
    expect(Buffer.from((await backend.get('k')) as Uint8Array).subarray(12).toString()).to.equal('after');
    const mutex = backend.getMutex('k')!;
    expect(await mutex.acquire(false)).to.equal(true);
    await mutex.release();
    expect(await mutex.locked()).to.equal(false);
  });

  function makeRegionOverServer() {
    const region = makeRegion({ name: 'faults' }).configure('redis', {
      expirationTime: '1m',
      arguments: { url: server.url, prefix: uniquePrefix('region'), commandTimeout: '300ms' },
    });
    open.push(region);
    return region;
  }

  it('a region over a stopped server fails open: reads miss, the error is counted and emitted, then it recovers', async () => {
    const region = makeRegionOverServer();
    const errors: unknown[] = [];
    region.on('backendError', (event: unknown) => errors.push(event));
    await region.set('k', 'before');
    await server.stop();
    expect(await region.get('k')).to.have.property('noValue', true);
    await region.set('k', 'while down');
    expect(region.stats().backendErrors).to.be.greaterThan(0);
    expect(errors.length).to.be.greaterThan(0);

    await server.restart();
    await eventually(
      async () => {
        await region.set('after', 'back');
        return (await region.get('after')) === 'back';
      },
      15_000,
      'the region to recover',
    );
  });

  it('a region over a stopped server fails open in getOrCreate: the creator runs', async () => {
    const region = makeRegionOverServer();
    expect(await region.getOrCreate('warm', () => 'first')).to.equal('first');
    await server.stop();
    let calls = 0;
    expect(await region.getOrCreate('cold', () => `created ${++calls}`)).to.equal('created 1');
    expect(region.stats().backendErrors).to.be.greaterThan(0);
  });

  it('a fail-closed region over a stopped server throws BackendUnavailableError', async () => {
    const region = makeRegion({ name: 'faults-closed' }).configure('redis', {
      expirationTime: '1m',
      failOpen: false,
      arguments: { url: server.url, prefix: uniquePrefix('closed'), commandTimeout: '300ms' },
    });
    open.push(region);
    await region.set('k', 'v');
    await server.stop();
    expect(await failure(() => region.get('k'))).to.be.instanceOf(BackendUnavailableError);
    expect(await failure(() => region.set('k', 'w'))).to.be.instanceOf(BackendUnavailableError);
  });

  it('after a restart, shared invalidations reach other regions again (resubscribed)', async () => {
    const prefix = uniquePrefix('resubscribe');
    const regionArgs = { url: server.url, prefix, commandTimeout: '300ms' };
    const here = makeRegion({ name: 'here' }).configure('redis', { expirationTime: '1h', arguments: regionArgs });
    const there = makeRegion({ name: 'there' }).configure('redis', { expirationTime: '1h', arguments: regionArgs });
    open.push(here, there);
    await here.set('k', 'old');
    expect(await there.get('k')).to.equal('old');
    await server.restart();
    await eventually(
      async () => {
        await here.set('k', 'old');
        return (await there.get('k')) === 'old';
      },
      15_000,
      'both regions to reconnect',
    );
    // The pub/sub connection reconnects on its own schedule; invalidate until the message gets through.
    await eventually(
      async () => {
        here.invalidate();
        await new Promise((resolve) => setTimeout(resolve, 50));
        return (await there.get('k')) !== 'old';
      },
      15_000,
      'the invalidation to reach the other region',
    );
  });

  it('a lock holder process SIGKILLed: another caller takes the lock after its lease', async () => {
    const prefix = uniquePrefix('sigkill');
    const child = fork(fileURLToPath(new URL('./fixtures/hold-lock.ts', import.meta.url)), [server.url, prefix, 'k', '4s'], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    try {
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      expect(line.toString().trim()).to.equal('held');
      child.kill('SIGKILL');
      await once(child, 'exit');
      const backend = make({ prefix });
      const mutex = backend.getMutex('k')!;
      expect(await mutex.acquire(false), 'the dead holder still has its lease').to.equal(false);
      expect(await mutex.acquire(true, 15_000), 'taken over after the lease').to.equal(true);
      await mutex.release();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
