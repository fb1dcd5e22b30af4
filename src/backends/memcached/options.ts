import { ValidationError } from '../../errors.js';
import { describe, NEVER, parseDuration, type Duration } from '../../time.js';
import type { BackendArguments } from '../api.js';
import { MAX_PREFIX_BYTES, prefixProblem } from './keys.js';

/**
 * Arguments of the `memcached` backend (`configure('memcached', { arguments: {...} })`).
 * Durations are milliseconds as numbers, or strings such as `'500ms'`, `'30s'`, `'5m'`.
 */
export interface MemcachedBackendOptions {
  /**
   * The memcached servers: `'host:port'`, a comma-separated list, or an array of them; each may
   * carry SASL credentials as `user:pass@host:port`. Keys are spread over the servers by hash.
   * Default: `'127.0.0.1:11211'`.
   */
  servers?: string | readonly string[];
  /**
   * Prepended to every key, so regions sharing servers never collide. End it with a separator
   * (`'users:'`), since `'a'` + `'bc'` and `'ab'` + `'c'` are the same key. At most 128 bytes, no
   * whitespace or control characters. Default: `''`.
   */
  prefix?: string;
  /**
   * How long memcached keeps an entry (the store-level TTL, separate from the region's expiration
   * time, which decides freshness). Keep it longer than the region's expiration time so the stale
   * value is still there while one caller regenerates it. `0` or `-1`: memcached keeps the entry
   * until its LRU evicts it. Rounded up to whole seconds.
   * Default: the region's expiration time plus `memcachedExpireGrace`; no store TTL when the region
   * never expires or has not told the backend its expiration time.
   */
  memcachedExpireTime?: Duration;
  /**
   * Added to the region's expiration time to make the default `memcachedExpireTime`.
   * Default: the region's expiration time itself, and at least 60 s.
   */
  memcachedExpireGrace?: Duration;
  /**
   * memcached's item size limit (`memcached -I`, 1 MB by default). A value whose key, bytes and
   * 64 bytes of item overhead exceed it is refused before it is sent, with `ValueTooLargeError`.
   * Default: `1048576`.
   */
  maxItemBytes?: number;
  /** How long memjs waits for a server's answer before failing the attempt. Default: `500` ms. */
  timeout?: Duration;
  /** How long memjs waits for a connection to open. Default: twice `timeout`. */
  connectTimeout?: Duration;
  /** How many times memjs retries a failed attempt (on a new connection). Default: `1`. */
  retries?: number;
  /** Pause before each retry. Default: `100` ms. */
  retryDelay?: Duration;
  /**
   * Hard bound on one operation including memjs's retries; past it the operation fails with
   * `BackendUnavailableError` and the connection is reset. Default:
   * `(retries + 1) × max(timeout, connectTimeout) + retries × retryDelay + 100 ms`.
   */
  operationTimeout?: Duration;
  /** Enables TCP keep-alive on the connections (memjs `keepAlive`). Default: `false`. */
  keepAlive?: boolean;
  /**
   * Sends the requests issued in one event-loop turn in one socket write (memjs writes each on
   * its own). Relies on memjs's connection internals and falls back to plain writes without them;
   * `false` turns it off. Default: `true`.
   */
  batchWrites?: boolean;
  /** SASL user name for servers listed without credentials. Default: none. */
  username?: string;
  /** SASL password for servers listed without credentials. Default: none. */
  password?: string;
  /**
   * Use the cross-process lock (memcached `add`) for regeneration. `false` leaves only the
   * region's in-process lock, so each process may regenerate a key once. Default: `true`.
   */
  distributedLock?: boolean;
  /**
   * Lifetime of a lock record: if its holder dies, another process can take the lock after this.
   * Renewed while the holder runs. Rounded up to whole seconds; at least 2 s, because memcached
   * counts in whole seconds and may expire an entry up to a second early. Default: `'30s'`.
   */
  lockLease?: Duration;
  /** How often a held lock's lease is renewed. Default: a third of `lockLease`. */
  lockRenewInterval?: Duration;
  /** First pause between attempts while waiting for a lock; doubles up to `lockRetryMax`, with jitter. Default: `5` ms. */
  lockRetryMin?: Duration;
  /** Longest pause between attempts while waiting for a lock. Default: `100` ms. */
  lockRetryMax?: Duration;
  /**
   * Longest wait for a lock when the caller names no bound. Default: the region's `lockTimeout`
   * when it has one, otherwise `lockLease`.
   */
  lockTimeout?: Duration;
}

/** The options after validation, in milliseconds and memjs's units. */
export interface ResolvedMemcachedOptions {
  readonly servers: readonly string[];
  readonly prefix: string;
  /** Explicit store TTL in ms (`NEVER` for none), or `undefined` to derive it from the region. */
  readonly expireTimeMs: number | undefined;
  /** Explicit grace in ms, or `undefined` for the default rule. */
  readonly expireGraceMs: number | undefined;
  readonly maxItemBytes: number;
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly operationTimeoutMs: number;
  readonly keepAlive: boolean;
  readonly batchWrites: boolean;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly distributedLock: boolean;
  readonly lockLeaseSeconds: number;
  readonly lockRenewIntervalMs: number;
  readonly lockRetryMinMs: number;
  readonly lockRetryMaxMs: number;
  /** Explicit default wait bound, or `undefined` to use the region's lock timeout or the lease. */
  readonly lockTimeoutMs: number | undefined;
}

export const DEFAULT_SERVERS = '127.0.0.1:11211';
export const DEFAULT_MAX_ITEM_BYTES = 1024 * 1024;
export const MIN_EXPIRE_GRACE_MS = 60_000;
const MIN_LOCK_LEASE_MS = 2_000;

const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof MemcachedBackendOptions>([
  'servers',
  'prefix',
  'memcachedExpireTime',
  'memcachedExpireGrace',
  'maxItemBytes',
  'timeout',
  'connectTimeout',
  'retries',
  'retryDelay',
  'operationTimeout',
  'keepAlive',
  'batchWrites',
  'username',
  'password',
  'distributedLock',
  'lockLease',
  'lockRenewInterval',
  'lockRetryMin',
  'lockRetryMax',
  'lockTimeout',
]);

// `user:pass@host:port`, `host:port`, `host`, `[::1]:port`.
const SERVER_PATTERN = /^(?:[^@\s,]+@)?(?:\[[0-9a-fA-F:.]+\]|[^\s:@,[\]]+)(?::(\d{1,5}))?$/;

function fail(option: string, expected: string, value: unknown): never {
  throw new ValidationError(`memcached backend: ${option} must be ${expected}; got ${describe(value)}.`);
}

function readServers(value: unknown): string[] {
  if (value === undefined || value === null) return [DEFAULT_SERVERS];
  const expected = "a 'host:port' string, a comma-separated list of them, or an array of them (e.g. '127.0.0.1:11211')";
  let list: unknown[];
  if (typeof value === 'string') list = value.split(',');
  else if (Array.isArray(value)) list = value;
  else fail('servers', expected, value);
  const servers = list.map((entry) => (typeof entry === 'string' ? entry.trim() : entry));
  if (servers.length === 0) fail('servers', expected, value);
  for (const server of servers) {
    if (typeof server !== 'string' || !SERVER_PATTERN.test(server)) fail('servers', expected, value);
    const port = SERVER_PATTERN.exec(server)![1];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) fail('servers', 'a list of servers with ports from 1 to 65535', value);
  }
  return servers as string[];
}

function readPrefix(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') fail('prefix', 'a string', value);
  const problem = prefixProblem(value);
  if (problem !== undefined) {
    fail('prefix', `at most ${MAX_PREFIX_BYTES} bytes (UTF-8) without whitespace or control characters (${problem})`, value);
  }
  return value;
}

/** A finite duration in ms, at least `min`. */
function readFiniteDuration(args: BackendArguments, option: string, fallback: number, min = 0): number {
  const value = args[option];
  const ms = parseDuration(value, `memcached backend: ${option}`, fallback);
  if (!Number.isFinite(ms) || ms < min) {
    fail(option, `a finite duration of at least ${min} ms (a number of ms or a string like '500ms')`, value);
  }
  return ms;
}

function readOptionalDuration(args: BackendArguments, option: string): number | undefined {
  const value = args[option];
  if (value === undefined || value === null) return undefined;
  return parseDuration(value, `memcached backend: ${option}`);
}

function readInteger(args: BackendArguments, option: string, fallback: number, min: number, max: number): number {
  const value = args[option];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(option, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

function readBoolean(args: BackendArguments, option: string, fallback: boolean): boolean {
  const value = args[option];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') fail(option, 'true or false', value);
  return value;
}

function readOptionalString(args: BackendArguments, option: string): string | undefined {
  const value = args[option];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0) fail(option, 'a non-empty string', value);
  return value;
}

/** Validates the backend's arguments; every problem is a `ValidationError` naming the option. */
export function resolveMemcachedOptions(args: BackendArguments = {}): ResolvedMemcachedOptions {
  if (args === null || typeof args !== 'object') {
    throw new ValidationError(`memcached backend: arguments must be an object of options; got ${describe(args)}.`);
  }
  for (const name of Object.keys(args)) {
    if (!KNOWN_OPTIONS.has(name)) {
      throw new ValidationError(
        `memcached backend: unknown option ${JSON.stringify(name)}; the options are ${[...KNOWN_OPTIONS].join(', ')}.`,
      );
    }
  }

  const timeoutMs = readFiniteDuration(args, 'timeout', 500, 1);
  const connectTimeoutMs = readFiniteDuration(args, 'connectTimeout', 2 * timeoutMs, 1);
  const retries = readInteger(args, 'retries', 1, 0, 10);
  const retryDelayMs = readFiniteDuration(args, 'retryDelay', 100);
  const derivedOperationTimeout = (retries + 1) * Math.max(timeoutMs, connectTimeoutMs) + retries * retryDelayMs + 100;
  const operationTimeoutMs = readFiniteDuration(args, 'operationTimeout', derivedOperationTimeout, 1);

  const lockLeaseMs = readFiniteDuration(args, 'lockLease', 30_000, MIN_LOCK_LEASE_MS);
  const lockLeaseSeconds = Math.ceil(lockLeaseMs / 1000);
  const lockRenewIntervalMs = readFiniteDuration(args, 'lockRenewInterval', (lockLeaseSeconds * 1000) / 3, 1);
  if (lockRenewIntervalMs >= (lockLeaseSeconds - 1) * 1000) {
    fail('lockRenewInterval', `shorter than lockLease minus one second (${(lockLeaseSeconds - 1) * 1000} ms), or the lease lapses between renewals`, args.lockRenewInterval);
  }
  const lockRetryMinMs = readFiniteDuration(args, 'lockRetryMin', 5, 1);
  const lockRetryMaxMs = readFiniteDuration(args, 'lockRetryMax', Math.max(100, lockRetryMinMs), lockRetryMinMs);

  const maxItemBytes = readInteger(args, 'maxItemBytes', DEFAULT_MAX_ITEM_BYTES, 1024, 1024 * 1024 * 1024);

  const expireGraceMs = readOptionalDuration(args, 'memcachedExpireGrace');
  if (expireGraceMs !== undefined && !Number.isFinite(expireGraceMs)) {
    fail('memcachedExpireGrace', 'a finite duration', args.memcachedExpireGrace);
  }
  const explicitExpire = readOptionalDuration(args, 'memcachedExpireTime');

  return {
    servers: readServers(args.servers),
    prefix: readPrefix(args.prefix),
    expireTimeMs: explicitExpire === 0 ? NEVER : explicitExpire,
    expireGraceMs,
    maxItemBytes,
    timeoutMs,
    connectTimeoutMs,
    retries,
    retryDelayMs,
    operationTimeoutMs,
    keepAlive: readBoolean(args, 'keepAlive', false),
    batchWrites: readBoolean(args, 'batchWrites', true),
    username: readOptionalString(args, 'username'),
    password: readOptionalString(args, 'password'),
    distributedLock: readBoolean(args, 'distributedLock', true),
    lockLeaseSeconds,
    lockRenewIntervalMs,
    lockRetryMinMs,
    lockRetryMaxMs,
    lockTimeoutMs: args.lockTimeout === undefined || args.lockTimeout === null ? undefined : readFiniteDuration(args, 'lockTimeout', 0),
  };
}

/**
 * The store TTL in ms for a region expiration time: the explicit `memcachedExpireTime` when
 * given, else expiration + grace (grace defaults to the expiration itself, at least 60 s), else
 * `NEVER` when the region never expires or is unknown.
 */
export function storeTtlMs(options: ResolvedMemcachedOptions, regionExpirationMs: number | undefined): number {
  if (options.expireTimeMs !== undefined) return options.expireTimeMs;
  if (regionExpirationMs === undefined || !Number.isFinite(regionExpirationMs)) return NEVER;
  const grace = options.expireGraceMs ?? Math.max(regionExpirationMs, MIN_EXPIRE_GRACE_MS);
  return regionExpirationMs + grace;
}
