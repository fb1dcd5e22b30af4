// `redis-sentinel`: the master of a sentinel-monitored group; reads and writes both go to the
// master, so the lock and the values are seen consistently. A failover is followed by ioredis.
import type { Redis, RedisOptions } from 'ioredis';
import type { BackendArguments } from '../api.js';
import { ValidationError } from '../../errors.js';
import { RedisBackendCore } from './backend-core.js';
import { RedisConnection, createSentinelClient } from './connection.js';
import { PlainKeyLayout } from './keys.js';
import {
  SENTINEL_KEYS,
  optionalInteger,
  optionalObject,
  optionalString,
  optionalTls,
  parseAddressList,
  parseCommonOptions,
  rejectUnknownOptions,
  rejectWithClient,
} from './options.js';
import { checkedClient } from './redis-backend.js';
import { cloneableCopy, cloneableOptions, readHandle } from './shareable.js';

export type { RedisSentinelBackendOptions } from './options.js';

const NAME = 'redis-sentinel';
const CONNECTION_KEYS = ['sentinels', 'masterName', 'sentinelUsername', 'sentinelPassword', 'db', 'username', 'password', 'tls', 'connectionOptions'];

/**
 * Stores envelope bytes in the master that the sentinels name, with a Redis-wide creation lock.
 * Options: {@link RedisSentinelBackendOptions}.
 */
export class RedisSentinelBackend extends RedisBackendCore {
  protected readonly backendName = NAME;
  private readonly args: Readonly<Record<string, unknown>>;

  constructor(args: BackendArguments = {}) {
    rejectUnknownOptions(NAME, args, SENTINEL_KEYS);
    rejectWithClient(NAME, args, CONNECTION_KEYS);
    const settings = parseCommonOptions(NAME, args);
    const client = checkedClient(NAME, args.client);
    const sentinels = parseAddressList(NAME, args, 'sentinels');
    if (!client && !sentinels) {
      throw new ValidationError(`${NAME} backend: sentinels is required: a list of 'host:port' strings or { host, port } objects (or pass a client).`);
    }
    const masterName = optionalString(NAME, args, 'masterName') ?? 'mymaster';
    if (masterName.length === 0) throw new ValidationError(`${NAME} backend: masterName must not be empty.`);
    const connection = {
      sentinels: sentinels ?? [],
      masterName,
      sentinelUsername: optionalString(NAME, args, 'sentinelUsername'),
      sentinelPassword: optionalString(NAME, args, 'sentinelPassword'),
      db: optionalInteger(NAME, args, 'db', 0, 1_000_000),
      username: optionalString(NAME, args, 'username'),
      password: optionalString(NAME, args, 'password'),
      tls: optionalTls(NAME, args),
      connectionOptions: optionalObject<RedisOptions>(NAME, args, 'connectionOptions'),
      commandTimeoutMs: settings.commandTimeoutMs,
    };
    super(
      settings,
      (report) => new RedisConnection(client ?? createSentinelClient(connection), client === undefined, settings.commandTimeoutMs, report),
      new PlainKeyLayout(settings.prefix, settings.lockPrefix),
    );
    this.args = args;
  }

  protected shareableOptions(): Readonly<Record<string, unknown>> {
    const options = cloneableOptions(this.args);
    const client = this.args.client as Redis | undefined;
    if (client) {
      const { sentinels, name, sentinelUsername, sentinelPassword, db, username, password, tls } = client.options;
      Object.assign(
        options,
        cloneableOptions({
          sentinels: sentinels?.map((sentinel) => ({ host: sentinel.host ?? 'localhost', port: sentinel.port ?? 26379 })),
          masterName: name,
          sentinelUsername,
          sentinelPassword,
          db,
          username,
          password,
          tls: tls === undefined ? undefined : cloneableCopy(tls),
        }),
      );
    }
    return options;
  }

  static attach(handle: unknown): RedisSentinelBackend {
    return new RedisSentinelBackend(readHandle(NAME, handle));
  }
}
