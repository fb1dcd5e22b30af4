// `redis-cluster`: a Redis Cluster through ioredis' Cluster client. Keys carry a hash tag so that a
// value, its lock and its fencing record share one slot (see keys.ts); multi-key reads, writes and
// deletes are split per slot.
import { type Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { BackendArguments } from '../api.js';
import { DogpileCacheError, ValidationError } from '../../errors.js';
import { describe } from '../../time.js';
import { RedisBackendCore } from './backend-core.js';
import { RedisConnection, createClusterClient } from './connection.js';
import { HashTaggedKeyLayout } from './keys.js';
import {
  CLUSTER_KEYS,
  optionalObject,
  optionalString,
  optionalTls,
  parseAddressList,
  parseCommonOptions,
  rejectUnknownOptions,
  rejectWithClient,
} from './options.js';
import { cloneableOptions, readHandle } from './shareable.js';

export type { RedisClusterBackendOptions } from './options.js';

const NAME = 'redis-cluster';
const CONNECTION_KEYS = ['nodes', 'username', 'password', 'tls', 'connectionOptions', 'clusterOptions'];

function isClusterClient(value: unknown): value is Cluster {
  const candidate = value as { nodes?: unknown; getBuffer?: unknown; duplicate?: unknown } | null;
  return (
    candidate !== null &&
    typeof candidate === 'object' &&
    typeof candidate.nodes === 'function' &&
    typeof candidate.getBuffer === 'function' &&
    typeof candidate.duplicate === 'function'
  );
}

/**
 * Stores envelope bytes in a Redis Cluster, with a cluster-wide creation lock.
 * Options: {@link RedisClusterBackendOptions}.
 */
export class RedisClusterBackend extends RedisBackendCore {
  protected readonly backendName = NAME;
  private readonly args: Readonly<Record<string, unknown>>;

  constructor(args: BackendArguments = {}) {
    rejectUnknownOptions(NAME, args, CLUSTER_KEYS);
    rejectWithClient(NAME, args, CONNECTION_KEYS);
    const settings = parseCommonOptions(NAME, args);
    if (/[{}]/.test(settings.prefix)) {
      throw new ValidationError(
        `${NAME} backend: prefix must not contain '{' or '}': the backend adds its own hash tag to keep a key and its lock in one slot; got ${describe(settings.prefix)}.`,
      );
    }
    const client = args.client;
    if (client !== undefined && !isClusterClient(client)) {
      throw new ValidationError(`${NAME} backend: client must be an ioredis Cluster instance; got ${describe(client)}.`);
    }
    const nodes = parseAddressList(NAME, args, 'nodes');
    if (!client && !nodes) {
      throw new ValidationError(`${NAME} backend: nodes is required: some of the cluster's nodes as 'host:port' strings or { host, port } objects (or pass a client).`);
    }
    const connection = {
      nodes: nodes ?? [],
      username: optionalString(NAME, args, 'username'),
      password: optionalString(NAME, args, 'password'),
      tls: optionalTls(NAME, args),
      connectionOptions: optionalObject<RedisOptions>(NAME, args, 'connectionOptions'),
      clusterOptions: optionalObject<ClusterOptions>(NAME, args, 'clusterOptions'),
      commandTimeoutMs: settings.commandTimeoutMs,
    };
    super(
      settings,
      (report) => new RedisConnection(client ?? createClusterClient(connection), client === undefined, settings.commandTimeoutMs, report),
      new HashTaggedKeyLayout(settings.prefix, settings.lockPrefix),
    );
    this.args = args;
  }

  protected shareableOptions(): Readonly<Record<string, unknown>> {
    const options = cloneableOptions(this.args);
    const client = this.args.client as Cluster | undefined;
    if (client) {
      const nodes = client.nodes('master').map((node) => ({ host: node.options.host ?? 'localhost', port: node.options.port ?? 6379 }));
      if (nodes.length === 0) {
        throw new DogpileCacheError(`${NAME} backend: share() needs the cluster's nodes, but the given client knows none yet; share after it connected, or configure nodes instead of client.`);
      }
      const { username, password } = client.options.redisOptions ?? {};
      Object.assign(options, cloneableOptions({ nodes, username, password }));
    }
    return options;
  }

  static attach(handle: unknown): RedisClusterBackend {
    return new RedisClusterBackend(readHandle(NAME, handle));
  }
}
