import { expect } from 'chai';
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendUnavailableError } from '../../../src/errors.js';
import { makeRegion, NO_VALUE, type CacheRegion } from '../../../src/index.js';
import { MemcachedBackend } from '../../../src/backends/memcached/index.js';
import { startMemcached, type ServerHandle } from '../../support/servers.js';
import { envelope, sleep, text, uniquePrefix } from './support.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Settles with the outcome of `promise`, failing the test if it is still pending after `limitMs`. */
async function settlesWithin<T>(promise: Promise<T>, limitMs: number): Promise<{ value?: T; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${limitMs} ms`)), limitMs);
  });
  try {
    return await Promise.race([promise.then((value) => ({ value }), (error: unknown) => ({ error })), guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** The server's pid, checked to be a memcached process (never signal a pid from a stale file). */
function serverPid(server: ServerHandle): number {
  const pid = Number(readFileSync(join(server.dir, 'memcached.pid'), 'utf8'));
  const command = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  if (!command.startsWith('memcached')) throw new Error(`pid ${pid} from ${server.dir} is ${command}, not memcached`);
  return pid;
}

/** Stops the server's process with SIGSTOP and waits until the kernel reports it stopped. */
async function freeze(server: ServerHandle): Promise<number> {
  const pid = serverPid(server);
  process.kill(pid, 'SIGSTOP');
  for (let attempt = 0; attempt < 100; attempt++) {
    // /proc/<pid>/stat: "pid (comm) state ..."; T = stopped.
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    if (state === 'T') return pid;
    await sleep(10);
  }
  throw new Error(`memcached ${pid} did not stop on SIGSTOP`);
}

describe('memcached backend: faults with real servers', function () {
  this.timeout(60_000);
  let server: ServerHandle;
  const open: Array<MemcachedBackend | CacheRegion> = [];

  before(async () => (server = await startMemcached()));
  afterEach(async () => {
    if (!server.running) await server.restart();
    await Promise.all(open.splice(0).map((item) => item.close()));
  });
  after(() => server.dispose());

  const fastFailing = { timeout: 200, connectTimeout: 200, retries: 1, retryDelay: 50 } as const;

  function backend(options: Record<string, unknown> = {}): MemcachedBackend {
    const made = new MemcachedBackend({ servers: server.url, prefix: uniquePrefix('fault'), ...fastFailing, ...options });
    open.push(made);
    return made;
  }

  function region(options: Record<string, unknown> = {}, configure: Record<string, unknown> = {}): CacheRegion {
    const made = makeRegion({ name: 'faults' }).configure('memcached', {
      expirationTime: '1m',
      arguments: { servers: server.url, prefix: uniquePrefix('fault'), ...fastFailing, ...options },
      ...configure,
    });
    open.push(made);
    return made;
  }

  describe('server stopped', () => {
    it('every operation fails with BackendUnavailableError within its bound, none hangs', async () => {
      const store = backend();
      await store.set('k', envelope('v'));
      await server.stop();
      const bound = store.options.operationTimeoutMs + 2000;
      const operations: Array<[string, () => Promise<unknown>]> = [
        ['get', () => store.get('k')],
        ['set', () => store.set('k', envelope('v'))],
        ['delete', () => store.delete('k')],
        ['getMulti', () => store.getMulti(['a', 'b'])],
        ['setMulti', () => store.setMulti([['a', envelope('a')]])],
        ['deleteMulti', () => store.deleteMulti(['a'])],
        ['acquire', () => store.getMutex('k')!.acquire(true, 5000)],
        ['locked', () => store.getMutex('k')!.locked()],
      ];
      const outcomes = await Promise.all(operations.map(([, run]) => settlesWithin(run(), bound)));
      for (const [index, outcome] of outcomes.entries()) {
        expect(outcome.error, operations[index]![0]).to.be.instanceOf(BackendUnavailableError);
        expect(String(outcome.error)).to.include(server.url);
      }
    });

    it('releasing a held lock while the server is down resolves and reports the error as an event', async () => {
      const store = backend();
      const events: Array<{ type: string; operation?: string }> = [];
      store.setEventSink((event) => events.push(event));
      const mutex = store.getMutex('k')!;
      expect(await mutex.acquire(false)).to.equal(true);
      await server.stop();
      const outcome = await settlesWithin(mutex.release(), store.options.operationTimeoutMs + 2000);
      expect(outcome.error).to.equal(undefined);
      expect(events).to.have.length(1);
      expect(events[0]).to.include({ type: 'backendError', operation: 'lockRelease' });
    });

    it('through the region: reads miss, errors are counted and emitted (fail-open)', async () => {
      const cache = region();
      await cache.set('k', 'cached');
      expect(await cache.get('k')).to.equal('cached');
      const events: Array<{ operation: string }> = [];
      cache.on('backendError', (event) => events.push(event));
      await server.stop();
      expect((await settlesWithin(cache.get('k'), 5000)).value).to.equal(NO_VALUE);
      expect((await settlesWithin(cache.set('k', 'while down'), 5000)).error).to.equal(undefined);
      expect(cache.stats().backendErrors).to.be.greaterThan(0);
      expect(events.map((event) => event.operation)).to.include('get');
    });

    it('through the region: getOrCreate runs the creator when the lock server is unreachable (fail-open)', async () => {
      const cache = region();
      expect(await cache.getOrCreate('warm', () => 'first')).to.equal('first');
      await server.stop();
      let calls = 0;
      const created = await settlesWithin(cache.getOrCreate('k', () => `created ${++calls}`), 10_000);
      expect(created.error).to.equal(undefined);
      expect(created.value).to.equal('created 1');
      expect(calls).to.equal(1);
      expect(cache.stats().backendErrors).to.be.greaterThan(0);
    });

    it('through a fail-closed region: the error reaches the caller', async () => {
      const cache = region({}, { failOpen: false });
      await server.stop();
      const outcome = await settlesWithin(cache.get('k'), 5000);
      expect(outcome.error).to.be.instanceOf(BackendUnavailableError);
    });

    it('a server that accepts connections but never answers (SIGSTOP) fails operations within their bound', async () => {
      const store = backend();
      await store.set('k', envelope('before'));
      const pid = await freeze(server);
      try {
        const outcome = await settlesWithin(store.get('k'), store.options.operationTimeoutMs + 2000);
        expect(outcome.error).to.be.instanceOf(BackendUnavailableError);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      // Once it answers again, so does the backend.
      let value: unknown = NO_VALUE;
      for (let attempt = 0; attempt < 20 && value === NO_VALUE; attempt++) {
        value = await store.get('k').catch(() => NO_VALUE);
        if (value === NO_VALUE) await sleep(100);
      }
      expect(text(value as Uint8Array)).to.equal('before');
    });
  });

  describe('server restarted', () => {
    it('the same region recovers without being rebuilt', async () => {
      const cache = region();
      await cache.set('k', 'before restart');
      await server.restart();
      // memcached lost everything; the region sees misses, then works as before on new connections.
      let value: unknown;
      let attempts = 0;
      for (; attempts < 20; attempts++) {
        await cache.set('k', 'after restart');
        value = await cache.get('k');
        if (value === 'after restart') break;
        await sleep(100);
      }
      expect(value).to.equal('after restart');
      expect(await cache.getOrCreate('other', () => 'created')).to.equal('created');
      expect(await cache.get('other')).to.equal('created');
    });

    it('operations in flight when the server dies fail instead of hanging, and later ones succeed', async () => {
      const store = backend({ operationTimeout: 1500 });
      await store.set('k', envelope('v'));
      // Freeze the server so requests pile up unanswered, then kill it under them.
      const pid = await freeze(server);
      const inFlight = Array.from({ length: 50 }, (_, index) => store.get(`k${index}`));
      await sleep(50);
      process.kill(pid, 'SIGKILL');
      const outcomes = await Promise.all(inFlight.map((operation) => settlesWithin(operation, 1500 + 3000)));
      for (const outcome of outcomes) expect(outcome.error).to.be.instanceOf(BackendUnavailableError);
      await server.restart();
      let stored = false;
      for (let attempt = 0; attempt < 20 && !stored; attempt++) {
        stored = await store.set('k', envelope('again')).then(() => true, () => false);
        if (!stored) await sleep(100);
      }
      expect(stored).to.equal(true);
      expect(text((await store.get('k')) as Uint8Array)).to.equal('again');
    });
  });

  describe('a connection closed under pending requests', () => {
    // memcached closes a connection without answering when it rejects a request (a bad key), and
    // proxies do the same on their own faults; memjs then never calls the pending requests back.
    // A listener that reads a request and closes politely (FIN, no answer) stands in for that.
    let closer: Server;
    let port = 0;
    before(async () => {
      closer = createServer((socket) => socket.once('data', () => socket.end()));
      await new Promise<void>((resolve) => closer.listen(0, '127.0.0.1', resolve));
      port = (closer.address() as AddressInfo).port;
    });
    after(() => new Promise<void>((resolve) => closer.close(() => resolve())));

    it('the operation deadline fails them with BackendUnavailableError', async () => {
      const store = new MemcachedBackend({ servers: `127.0.0.1:${port}`, ...fastFailing, operationTimeout: 800 });
      open.push(store);
      const outcomes = await Promise.all(
        [store.get('a'), store.set('b', envelope('v')), store.getMutex('c')!.acquire(false)].map((operation: Promise<unknown>) => settlesWithin(operation, 800 + 3000)),
      );
      for (const outcome of outcomes) {
        expect(outcome.error).to.be.instanceOf(BackendUnavailableError);
        expect(String(outcome.error)).to.include('operationTimeout');
      }
    });
  });

  describe('lock holder killed', () => {
    let child: ChildProcess | undefined;
    afterEach(() => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      child = undefined;
    });

    it('another process takes the lock over once the lease of the SIGKILLed holder ends', async () => {
      const prefix = uniquePrefix('killed');
      const key = 'slow-key';
      child = fork(join(here, 'children', 'lock-holder.ts'), [server.url, prefix, key], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const creating = new Promise<void>((resolve, reject) => {
        child!.once('message', () => resolve());
        child!.once('exit', (code, signal) => reject(new Error(`holder exited early (${code ?? signal})`)));
      });
      await settlesWithin(creating, 20_000);

      const cache = region({ prefix, lockLease: '2s' }, { lockTimeout: '15s' });
      expect(await cache.keyIsLocked(key)).to.equal(true);
      // While the holder lives, a try-lock fails.
      expect(await cache.getMutex(key).acquire(false)).to.equal(false);

      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;

      let calls = 0;
      const value = await cache.getOrCreate(key, () => `created by the survivor ${++calls}`);
      expect(value).to.equal('created by the survivor 1');
      expect(calls).to.equal(1);
      expect(await cache.keyIsLocked(key)).to.equal(false);
    });
  });
});
