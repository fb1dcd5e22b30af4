// `redis`: one Redis server, by URL, by host/port, or through a client the caller owns.
import type { Redis, RedisOptions } from 'ioredis';
import type { BackendArguments } from '../api.js';
import { ValidationError } from '../../errors.js';
import { describe } from '../../time.js';
import { RedisBackendCore, type RedisShareHandle } from './backend-core.js';
import { RedisConnection, createStandaloneClient } from './connection.js';
import { PlainKeyLayout } from './keys.js';
import {
  STANDALONE_KEYS,
  optionalInteger,
  optionalObject,
  optionalString,
  optionalTls,
  parseCommonOptions,
  rejectUnknownOptions,
  rejectWithClient,
} from './options.js';
import { cloneableCopy, cloneableOptions, readHandle } from './shareable.js';

export type { RedisBackendOptions } from './options.js';

const NAME = 'redis';
const CONNECTION_KEYS = ['url', 'host', 'port', 'db', 'username', 'password', 'tls', 'connectionOptions'];

/** True for something that looks like an ioredis `Redis` client (another copy of ioredis is fine). */
export function isRedisClient(value: unknown): value is Redis {
  const candidate = value as { getBuffer?: unknown; duplicate?: unknown; status?: unknown } | null;
  return (
    candidate !== null &&
    typeof candidate === 'object' &&
    typeof candidate.getBuffer === 'function' &&
    typeof candidate.duplicate === 'function' &&
    typeof candidate.status === 'string'
  );
}

export function checkedClient(backend: string, value: unknown): Redis | undefined {
  if (value === undefined) return undefined;
  if (!isRedisClient(value)) throw new ValidationError(`${backend} backend: client must be an ioredis Redis instance; got ${describe(value)}.`);
  return value;
}

/**
 * Stores envelope bytes in one Redis server, with a Redis-wide creation lock.
 * Options: {@link RedisBackendOptions}.
 */
export class RedisBackend extends RedisBackendCore {
  protected readonly backendName = NAME;
  private readonly args: Readonly<Record<string, unknown>>;

  constructor(args: BackendArguments = {}) {
    rejectUnknownOptions(NAME, args, STANDALONE_KEYS);
    rejectWithClient(NAME, args, CONNECTION_KEYS);
    const settings = parseCommonOptions(NAME, args);
    const client = checkedClient(NAME, args.client);
    const url = optionalString(NAME, args, 'url');
    if (url !== undefined && !/^rediss?:\/\//.test(url)) {
      throw new ValidationError(`${NAME} backend: url must start with redis:// or rediss://; got ${describe(url)}.`);
    }
    const connection = {
      url,
      host: optionalString(NAME, args, 'host'),
      port: optionalInteger(NAME, args, 'port', 1, 65535),
      db: optionalInteger(NAME, args, 'db', 0, 1_000_000),
      username: optionalString(NAME, args, 'username'),
      password: optionalString(NAME, args, 'password'),
      tls: optionalTls(NAME, args),
      connectionOptions: optionalObject<RedisOptions>(NAME, args, 'connectionOptions'),
      commandTimeoutMs: settings.commandTimeoutMs,
    };
    super(
      settings,
      (report) =>
        new RedisConnection(client ?? createStandaloneClient(connection), client === undefined, settings.commandTimeoutMs, report),
      new PlainKeyLayout(settings.prefix, settings.lockPrefix),
    );
    this.args = args;
  }

  protected shareableOptions(): Readonly<Record<string, unknown>> {
    const options = cloneableOptions(this.args);
    const client = this.args.client as Redis | undefined;
    if (client) {
      // Rebuild the connection from what the caller's client was configured with.
      const { host, port, db, username, password, tls } = client.options;
      Object.assign(options, cloneableOptions({ host, port, db, username, password, tls: tls === undefined ? undefined : cloneableCopy(tls) }));
    }
    return options;
  }

  /** A backend over the same server, built in another thread from `share()`'s handle. */
  static attach(handle: unknown): RedisBackend {
    return new RedisBackend(readHandle(NAME, handle));
  }
}

export type { RedisShareHandle };
