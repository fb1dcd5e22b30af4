// The options of the three Redis backends, their defaults, and their validation at construction.
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ValidationError } from '../../errors.js';
import { NEVER, describe, parseDuration, type Duration } from '../../time.js';

/** Options shared by `redis`, `redis-sentinel` and `redis-cluster`. */
export interface RedisCommonOptions {
  /**
   * Prepended to every key this backend writes (values, locks, fencing records), so regions that
   * share one Redis never collide. Default `''`.
   */
  prefix?: string;
  /**
   * Store-level TTL of values in Redis. Default: derived from the region's expiration time `E` as
   * `E + max(E, 60s)`, so a stale value outlives its own regeneration; no TTL when the region's
   * values never expire. `-1` stores without a TTL.
   */
  redisExpirationTime?: Duration;
  /**
   * Use the Redis-wide creation lock (`SET NX PX` + Lua release, lease renewal, fencing). Default
   * `true`. With `false` the region uses its in-process lock only (one creator per process).
   */
  distributedLock?: boolean;
  /**
   * Marks lock keys (`<prefix><lockPrefix>:<key>`) and fencing records (`<prefix><lockPrefix>#<key>`).
   * 2–10 characters of letters, digits, `_ - . :`. Default `'_lock'`. Region keys that start with
   * `<lockPrefix>:` or `<lockPrefix>#` are reserved.
   */
  lockPrefix?: string;
  /**
   * How long a lock stays held without renewal. The holder renews it every third of this while its
   * creator runs; a holder that dies loses the lock when the lease runs out. Default `'10s'`.
   */
  lockLease?: Duration;
  /**
   * Upper bound for every Redis command this backend sends; a command that takes longer fails with
   * `BackendUnavailableError`. Default `'1s'`.
   */
  commandTimeout?: Duration;
}

/** Connection settings for one Redis server (`redis`) or the master found through sentinels. */
export interface RedisAuthOptions {
  /** Database index. Default `0`. */
  db?: number;
  /** ACL user name (Redis 6+). Default: none. */
  username?: string;
  /** Password (`AUTH`). Default: none. */
  password?: string;
  /** `true` for TLS with Node's defaults, or Node `tls.connect` options. Default: plain TCP. */
  tls?: boolean | TlsConnectionOptions;
}

/** Options of the `redis` backend. */
export interface RedisBackendOptions extends RedisCommonOptions, RedisAuthOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS). When given it wins over
   * `host`, `port`, `db`, `username` and `password`. Default: none.
   */
  url?: string;
  /** Server host. Default `'localhost'`. */
  host?: string;
  /** Server port. Default `6379`. */
  port?: number;
  /**
   * Any ioredis `RedisOptions`, passed through; the explicit options above win over them, and they
   * win over this backend's client defaults. Default `{}`.
   */
  connectionOptions?: RedisOptions;
  /**
   * An ioredis client to use instead of creating one. It is never closed by this backend. Other
   * connection options must not be given with it. Default: none.
   */
  client?: Redis;
}

/** A sentinel's address: `{ host, port }` or `'host:port'`. */
export type SentinelAddressOption = { host: string; port: number } | string;

/** Options of the `redis-sentinel` backend (reads and writes go to the master). */
export interface RedisSentinelBackendOptions extends RedisCommonOptions, RedisAuthOptions {
  /** The sentinels to ask for the master. Required unless `client` is given. */
  sentinels?: SentinelAddressOption[];
  /** The master group name the sentinels monitor. Default `'mymaster'`. */
  masterName?: string;
  /** ACL user name for the sentinels themselves. Default: none. */
  sentinelUsername?: string;
  /** Password for the sentinels themselves. Default: none. */
  sentinelPassword?: string;
  /** Any ioredis `RedisOptions`, passed through (as for `redis`). Default `{}`. */
  connectionOptions?: RedisOptions;
  /** An ioredis client already configured for sentinels; never closed by this backend. Default: none. */
  client?: Redis;
}

/** A cluster node address: `{ host, port }`, `'host:port'` or `'redis://host:port'`. */
export type ClusterNodeOption = { host: string; port: number } | string;

/** Options of the `redis-cluster` backend. */
export interface RedisClusterBackendOptions extends RedisCommonOptions {
  /** Some nodes of the cluster; the client discovers the rest. Required unless `client` is given. */
  nodes?: ClusterNodeOption[];
  /** ACL user name for every node. Default: none. */
  username?: string;
  /** Password for every node. Default: none. */
  password?: string;
  /** `true` or Node `tls.connect` options, for every node. Default: plain TCP. */
  tls?: boolean | TlsConnectionOptions;
  /** ioredis `RedisOptions` for each node connection (the Cluster's `redisOptions`). Default `{}`. */
  connectionOptions?: RedisOptions;
  /** ioredis `ClusterOptions`, passed through. Default `{}`. */
  clusterOptions?: ClusterOptions;
  /** An ioredis `Cluster` to use instead of creating one; never closed by this backend. Default: none. */
  client?: Cluster;
}

/** The common options, checked and in milliseconds. */
export interface CommonSettings {
  readonly prefix: string;
  /** `undefined`: derive from the region; `NEVER`: no TTL. */
  readonly redisExpirationMs: number | undefined;
  readonly distributedLock: boolean;
  readonly lockPrefix: string;
  readonly lockLeaseMs: number;
  readonly commandTimeoutMs: number;
}

export const DEFAULT_LOCK_PREFIX = '_lock';
export const DEFAULT_LOCK_LEASE_MS = 10_000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 1_000;
/** The smallest grace added to the region's expiration time for the default Redis TTL. */
export const MIN_EXPIRATION_GRACE_MS = 60_000;

const COMMON_KEYS = ['prefix', 'redisExpirationTime', 'distributedLock', 'lockPrefix', 'lockLease', 'commandTimeout'] as const;
export const STANDALONE_KEYS = [...COMMON_KEYS, 'url', 'host', 'port', 'db', 'username', 'password', 'tls', 'connectionOptions', 'client'] as const;
export const SENTINEL_KEYS = [
  ...COMMON_KEYS,
  'sentinels',
  'masterName',
  'sentinelUsername',
  'sentinelPassword',
  'db',
  'username',
  'password',
  'tls',
  'connectionOptions',
  'client',
] as const;
export const CLUSTER_KEYS = [...COMMON_KEYS, 'nodes', 'username', 'password', 'tls', 'connectionOptions', 'clusterOptions', 'client'] as const;

const LOCK_PREFIX_PATTERN = /^[\w\-.:]{2,10}$/;

function fail(backend: string, message: string): never {
  throw new ValidationError(`${backend} backend: ${message}`);
}

/** Rejects option names the backend does not know, so a typo is not silently ignored. */
export function rejectUnknownOptions(backend: string, args: Readonly<Record<string, unknown>>, known: readonly string[]): void {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    fail(backend, `arguments must be an options object; got ${describe(args)}.`);
  }
  for (const name of Object.keys(args)) {
    if (!known.includes(name)) {
      fail(backend, `unknown option ${JSON.stringify(name)}; the options are ${known.join(', ')}.`);
    }
  }
}

export function optionalString(backend: string, args: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = args[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') fail(backend, `${name} must be a string; got ${describe(value)}.`);
  return value;
}

export function optionalBoolean(backend: string, args: Readonly<Record<string, unknown>>, name: string, fallback: boolean): boolean {
  const value = args[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(backend, `${name} must be true or false; got ${describe(value)}.`);
  return value;
}

export function optionalInteger(
  backend: string,
  args: Readonly<Record<string, unknown>>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = args[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(backend, `${name} must be an integer from ${min} to ${max}; got ${describe(value)}.`);
  }
  return value;
}

export function optionalObject<T extends object>(backend: string, args: Readonly<Record<string, unknown>>, name: string): T | undefined {
  const value = args[name];
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(backend, `${name} must be an options object; got ${describe(value)}.`);
  }
  return value as T;
}

export function optionalTls(backend: string, args: Readonly<Record<string, unknown>>): TlsConnectionOptions | undefined {
  const value = args.tls;
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(backend, `tls must be true, false or Node tls.connect options; got ${describe(value)}.`);
  }
  return value as TlsConnectionOptions;
}

/** A `{ host, port }` from `'host:port'`, `'redis://host:port'` or an object. */
export function parseAddress(backend: string, option: string, value: unknown): { host: string; port: number } {
  if (typeof value === 'string') {
    const text = /^rediss?:\/\//.test(value) ? value : `redis://${value}`;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      fail(backend, `${option} entry ${JSON.stringify(value)} is not 'host:port'.`);
    }
    const port = Number(url.port || 6379);
    if (!url.hostname) fail(backend, `${option} entry ${JSON.stringify(value)} has no host.`);
    return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
  }
  if (value !== null && typeof value === 'object') {
    const { host, port } = value as { host?: unknown; port?: unknown };
    if (typeof host === 'string' && host.length > 0 && typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536) {
      return { host, port };
    }
  }
  fail(backend, `${option} entries must be 'host:port' strings or { host, port } objects; got ${describe(value)}.`);
}

export function parseAddressList(backend: string, args: Readonly<Record<string, unknown>>, name: string): Array<{ host: string; port: number }> | undefined {
  const value = args[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    fail(backend, `${name} must be a non-empty array of 'host:port' strings or { host, port } objects; got ${describe(value)}.`);
  }
  return value.map((entry) => parseAddress(backend, name, entry));
}

export function parseCommonOptions(backend: string, args: Readonly<Record<string, unknown>>): CommonSettings {
  const prefix = optionalString(backend, args, 'prefix') ?? '';
  const lockPrefix = optionalString(backend, args, 'lockPrefix') ?? DEFAULT_LOCK_PREFIX;
  if (!LOCK_PREFIX_PATTERN.test(lockPrefix)) {
    fail(backend, `lockPrefix must be 2 to 10 characters of letters, digits, '_', '-', '.', ':'; got ${describe(lockPrefix)}.`);
  }
  const redisExpirationMs =
    args.redisExpirationTime === undefined ? undefined : positiveDuration(backend, args.redisExpirationTime, 'redisExpirationTime', true);
  const lockLeaseMs = positiveDuration(backend, args.lockLease ?? DEFAULT_LOCK_LEASE_MS, 'lockLease', false);
  const commandTimeoutMs = positiveDuration(backend, args.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS, 'commandTimeout', false);
  return {
    prefix,
    redisExpirationMs,
    distributedLock: optionalBoolean(backend, args, 'distributedLock', true),
    lockPrefix,
    lockLeaseMs,
    commandTimeoutMs,
  };
}

/** A duration of at least 1 ms (Redis' smallest TTL); `-1` is accepted only where it means "no TTL". */
function positiveDuration(backend: string, value: unknown, option: string, allowNever: boolean): number {
  const ms = parseDuration(value, `${backend} backend: ${option}`);
  if (ms === NEVER) {
    if (allowNever) return NEVER;
    fail(backend, `${option} must be a finite duration such as '5s'; got ${describe(value)}.`);
  }
  if (ms < 1) fail(backend, `${option} must be at least 1 ms; got ${describe(value)}.`);
  return Math.ceil(ms);
}

/**
 * The Redis TTL for values: the explicit option, else derived from the region's expiration time
 * (`E + max(E, 60s)`), else none. `NEVER` means "no TTL".
 */
export function effectiveRedisExpiration(explicitMs: number | undefined, regionExpirationMs: number | undefined): number {
  if (explicitMs !== undefined) return explicitMs;
  if (regionExpirationMs === undefined || !Number.isFinite(regionExpirationMs) || regionExpirationMs < 0) return NEVER;
  return Math.ceil(regionExpirationMs + Math.max(regionExpirationMs, MIN_EXPIRATION_GRACE_MS));
}

/** Rejects connection options given together with `client` (they would be silently unused). */
export function rejectWithClient(backend: string, args: Readonly<Record<string, unknown>>, connectionKeys: readonly string[]): void {
  if (args.client === undefined) return;
  const clashing = connectionKeys.filter((name) => args[name] !== undefined);
  if (clashing.length > 0) {
    fail(backend, `client is given, so ${clashing.join(', ')} would be ignored; configure them on the client instead.`);
  }
}
