// Real Redis and memcached servers for the test run.
//
// One redis-server and one memcached are started once per mocha run (see global-setup.ts) on free
// loopback ports and published through environment variables, so child processes started by tests
// find them too. Tests that stop and restart a server start their own with startRedis() /
// startMemcached(). Every server runs in a temp directory under os.tmpdir() holding its pidfile;
// servers are stopped at the end of the run, on process exit, and — for runs that were killed —
// by the next run, which sweeps directories whose owning process is gone.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const REDIS_URL_ENV = 'DOGPILE_TEST_REDIS_URL';
export const MEMCACHED_SERVERS_ENV = 'DOGPILE_TEST_MEMCACHED_SERVERS';
/** Set by the global setup when it could not start the servers (outside CI), so tests fail with the reason. */
const SETUP_ERROR_ENV = 'DOGPILE_TEST_SERVERS_ERROR';

const TEMP_PREFIX = 'dogpile-test-';
/** Debian packages the tests need: the servers, and openssl for the TLS test's certificates. */
const SERVER_PACKAGES = ['redis-server', 'memcached', 'openssl'] as const;
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export interface TestServers {
  redisUrl: string;
  redisPort: number;
  /** `host:port`, the form memjs takes. */
  memcachedServers: string;
  memcachedPort: number;
}

/** A server a test owns: it can stop it (to inject a fault) and start it again on the same port. */
export interface ServerHandle {
  readonly port: number;
  /** `redis://127.0.0.1:port` for Redis, `127.0.0.1:port` for memcached. */
  readonly url: string;
  /** The server's temp directory (pidfile, log, data). */
  readonly dir: string;
  readonly running: boolean;
  /** The server's process id while it runs (to SIGSTOP it in a test of a hung server). */
  readonly pid: number | undefined;
  /** Stops the server process and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
  /** Starts the server again on the same port (stopping it first if it runs). */
  restart(): Promise<void>;
  /** Stops the server and removes its temp directory. */
  dispose(): Promise<void>;
}

export interface StartRedisOptions {
  /** Port to listen on; a free loopback port by default. */
  port?: number;
  /** Extra `redis-server` command-line arguments, e.g. `['--cluster-enabled', 'yes']`. */
  args?: readonly string[];
  /** Write this config file content and start `redis-server <file> ...` (needed by sentinel). */
  configFile?: string;
  /** Start in sentinel mode (`--sentinel`); requires `configFile`. */
  sentinel?: boolean;
}

export interface StartMemcachedOptions {
  port?: number;
  /** Memory limit in megabytes (`-m`); 64 by default. */
  memoryMb?: number;
  /** Largest item (`-I`), e.g. `'1m'`; memcached's default by default. */
  maxItemSize?: string;
  args?: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Reading the servers of this run

/** The servers started for this test run (also readable from child processes through env vars). */
export function testServers(): TestServers {
  const redisUrl = process.env[REDIS_URL_ENV];
  const memcachedServers = process.env[MEMCACHED_SERVERS_ENV];
  if (!redisUrl || !memcachedServers) {
    const reason = process.env[SETUP_ERROR_ENV];
    throw new Error(
      reason
        ? `Test servers are not available: ${reason}`
        : `Test servers are not running: ${REDIS_URL_ENV} / ${MEMCACHED_SERVERS_ENV} are unset. ` +
            'Run tests through mocha (test/support/global-setup.ts starts them) or set both variables.',
    );
  }
  const memcachedPort = Number(memcachedServers.split(',')[0]!.split(':').pop());
  return { redisUrl, redisPort: Number(new URL(redisUrl).port), memcachedServers, memcachedPort };
}

// ---------------------------------------------------------------------------------------------
// Binaries

function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin', '/bin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Makes sure redis-server, redis-cli, memcached and openssl exist, installing Debian's packages
 * when we are root. Other test runs may be installing at the same moment, so apt waits for its lock.
 */
export function ensureServerBinaries(): void {
  const missing = () => ['redis-server', 'redis-cli', 'memcached', 'openssl'].filter((name) => !findBinary(name));
  if (missing().length === 0) return;
  const packages = SERVER_PACKAGES.join(' ');
  if (!isRoot() || !findBinary('apt-get')) {
    throw new Error(`Missing ${missing().join(', ')}: install the Debian packages ${packages} (apt-get install -y ${packages}).`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lockWait = ['-o', 'DPkg::Lock::Timeout=300'];
  const run = (args: string[]) => spawnSync('apt-get', [...lockWait, ...args], { env, encoding: 'utf8', timeout: 600_000 });
  let result = run(['install', '-y', '--no-install-recommends', ...SERVER_PACKAGES]);
  if (result.status !== 0 || missing().length > 0) {
    // The package lists may be missing or stale on a fresh machine.
    run(['update']);
    result = run(['install', '-y', '--no-install-recommends', ...SERVER_PACKAGES]);
  }
  if (result.status !== 0 || missing().length > 0) {
    throw new Error(
      `Could not install ${packages} (apt-get exited ${result.status}): ${(result.stderr || result.stdout || '').slice(-2000)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Ports, temp dirs and cleanup

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function makeServerDir(kind: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}${kind}-`));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  return dir;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A killed process whose parent has not reaped it yet still answers signal 0.
    return !/^\d+ \(.*\) Z/.test(safeRead(`/proc/${pid}/stat`));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `pid` is one of our server binaries (a pid from an old pidfile may have been reused). */
function isServerProcess(pid: number): boolean {
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    return comm.startsWith('redis-server') || comm.startsWith('redis-sentinel') || comm.startsWith('memcached');
  } catch {
    return false;
  }
}

/** Stops servers left behind by test runs that were killed before their cleanup ran. */
export function sweepAbandonedServers(): void {
  let entries: string[];
  try {
    entries = readdirSync(tmpdir()).filter((name) => name.startsWith(TEMP_PREFIX));
  } catch {
    return;
  }
  for (const name of entries) {
    const dir = join(tmpdir(), name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
    } catch {
      continue;
    }
    if (!owner || processAlive(owner)) continue;
    for (const file of safeReaddir(dir)) {
      if (!file.endsWith('.pid') || file === 'owner.pid') continue;
      const pid = Number(safeRead(join(dir, file)));
      if (pid && isServerProcess(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

const liveServers = new Set<ManagedServer>();
let exitHookInstalled = false;

function killAllNow(): void {
  for (const server of liveServers) server.killNow();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: kill outright and remove the directories.
  process.on('exit', killAllNow);
  // A terminating signal skips 'exit': clean up, then let the signal do what it would have done
  // (unless someone else, such as mocha, handles it).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllNow();
      process.removeListener(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

// ---------------------------------------------------------------------------------------------
// A server process

type Probe = 'redis' | 'memcached';

interface ServerSpec {
  command: string;
  /** Arguments for a given port. */
  args: (port: number, dir: string) => string[];
  probe: Probe;
  pidFileName: string;
  url: (port: number) => string;
}

/** Connects and sends a protocol-level hello until the server answers (or the time runs out). */
async function waitUntilAnswering(port: number, probe: Probe, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const request = probe === 'redis' ? 'PING\r\n' : 'version\r\n';
  const expected = probe === 'redis' ? '+PONG' : 'VERSION';
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server on port ${port} exited during start-up (${child.exitCode ?? child.signalCode}): ${safeRead(logFile).slice(-1500)}`);
    }
    const answered = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      let data = '';
      const finish = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(500, () => finish(false));
      socket.once('error', () => finish(false));
      socket.once('connect', () => socket.write(request));
      socket.on('data', (chunk) => {
        data += chunk.toString('latin1');
        // A loading Redis answers -LOADING; keep polling until PONG.
        if (data.includes('\r\n')) finish(data.startsWith(expected));
      });
    });
    if (answered) return;
    if (Date.now() > deadline) {
      throw new Error(`server on port ${port} did not answer within ${READY_TIMEOUT_MS} ms: ${safeRead(logFile).slice(-1500)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

class ManagedServer implements ServerHandle {
  private child: ChildProcess | undefined;
  private disposed = false;

  constructor(
    private readonly spec: ServerSpec,
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return this.spec.url(this.port);
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.disposed) throw new Error('server was disposed');
    const logFile = join(this.dir, 'server.log');
    const log = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.spec.command, this.spec.args(this.port, this.dir), { stdio: ['ignore', log, log], cwd: this.dir });
    } finally {
      closeSync(log);
    }
    const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
    spawnError.catch(() => undefined);
    // The server must never keep the test process alive.
    child.unref();
    this.child = child;
    liveServers.add(this);
    installExitHook();
    try {
      await Promise.race([waitUntilAnswering(this.port, this.spec.probe, child, logFile), spawnError]);
    } catch (error) {
      this.killNow(false);
      throw error;
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    rmSync(join(this.dir, this.spec.pidFileName), { force: true });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.disposed = true;
    liveServers.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous kill for process exit. */
  killNow(removeDir = true): void {
    if (this.running) {
      try {
        this.child!.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    if (removeDir) {
      liveServers.delete(this);
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** Starts a server, retrying on another free port when the chosen one was taken in between. */
async function startManaged(kind: string, spec: ServerSpec, fixedPort: number | undefined): Promise<ManagedServer> {
  ensureServerBinaries();
  const attempts = fixedPort === undefined ? 5 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = fixedPort ?? (await freePort());
    const server = new ManagedServer(spec, port, makeServerDir(kind));
    try {
      await server.start();
      return server;
    } catch (error) {
      lastError = error;
      await server.dispose();
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

export async function startRedis(options: StartRedisOptions = {}): Promise<ServerHandle> {
  const command = findBinary('redis-server') ?? 'redis-server';
  const spec: ServerSpec = {
    command,
    probe: 'redis',
    pidFileName: 'redis.pid',
    url: (port) => `redis://127.0.0.1:${port}`,
    args: (port, dir) => {
      const base: string[] = [];
      if (options.configFile !== undefined) {
        const configPath = join(dir, options.sentinel ? 'sentinel.conf' : 'redis.conf');
        // Sentinel rewrites its config file at run time; keep the first version so a restart starts clean.
        if (!existsSync(configPath)) writeFileSync(configPath, options.configFile);
        base.push(configPath);
      }
      if (options.sentinel) base.push('--sentinel');
      base.push(
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--daemonize', 'no',
        '--pidfile', join(dir, 'redis.pid'),
        '--dir', dir,
      );
      if (!options.sentinel) base.push('--save', '', '--appendonly', 'no');
      return [...base, ...(options.args ?? [])];
    },
  };
  return startManaged(options.sentinel ? 'sentinel' : 'redis', spec, options.port);
}

export async function startMemcached(options: StartMemcachedOptions = {}): Promise<ServerHandle> {
  const command = findBinary('memcached') ?? 'memcached';
  const spec: ServerSpec = {
    command,
    probe: 'memcached',
    pidFileName: 'memcached.pid',
    url: (port) => `127.0.0.1:${port}`,
    args: (port, dir) => {
      const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', String(options.memoryMb ?? 64), '-P', join(dir, 'memcached.pid')];
      // memcached refuses to run as root unless told which user to run as.
      if (isRoot()) args.push('-u', 'root');
      if (options.maxItemSize) args.push('-I', options.maxItemSize);
      return [...args, ...(options.args ?? [])];
    },
  };
  return startManaged('memcached', spec, options.port);
}

// ---------------------------------------------------------------------------------------------
// The run's shared servers (used by global-setup.ts)

let runServers: ServerHandle[] = [];

/**
 * Starts the run's Redis and memcached and publishes them through env vars. With CI=true any
 * failure throws (a missing server is a failure, never a skip); otherwise the reason is recorded
 * so only the tests that need a server fail, naming it.
 */
export async function startRunServers(): Promise<void> {
  if (process.env[REDIS_URL_ENV] && process.env[MEMCACHED_SERVERS_ENV]) return; // provided from outside
  sweepAbandonedServers();
  try {
    const [redis, memcached] = await Promise.all([startRedis(), startMemcached()]);
    runServers = [redis, memcached];
    process.env[REDIS_URL_ENV] = redis.url;
    process.env[MEMCACHED_SERVERS_ENV] = memcached.url;
    delete process.env[SETUP_ERROR_ENV];
  } catch (error) {
    await stopRunServers();
    const message = error instanceof Error ? error.message : String(error);
    if (process.env.CI === 'true' || process.env.CI === '1') throw error;
    process.env[SETUP_ERROR_ENV] = message;
    process.stderr.write(`\n[test servers] not started: ${message}\n`);
  }
}

export async function stopRunServers(): Promise<void> {
  const servers = runServers;
  runServers = [];
  await Promise.all(servers.map((server) => server.dispose()));
}
