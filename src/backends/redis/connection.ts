// The ioredis client of a backend: how it is built from the options, how every command is bounded
// in time, and how failures become BackendUnavailableError (the error the region fails open on).
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { BackendEvent } from '../api.js';
import { BackendUnavailableError, DogpileCacheError } from '../../errors.js';

/** Either kind of ioredis client; both have the commands this backend uses. */
export type RedisClient = Redis | Cluster;

/**
 * Client defaults chosen for a cache: commands are auto-pipelined (many concurrent reads share one
 * write to the socket), and a command issued while the connection is lost fails instead of being
 * retried for long, so a down server makes reads miss quickly rather than pile up.
 */
export const CLIENT_DEFAULTS: RedisOptions = {
  enableAutoPipelining: true,
  maxRetriesPerRequest: 1,
  autoResendUnfulfilledCommands: false,
  connectTimeout: 5_000,
  // Reconnect quickly after a restart: 50 ms, 100 ms, … capped at 1 s, with jitter so that many
  // processes do not reconnect in lockstep.
  retryStrategy: (times: number) => Math.min(times * 50, 1_000) + Math.floor(Math.random() * 50),
};

export interface StandaloneConnectionSettings {
  url?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  db?: number | undefined;
  username?: string | undefined;
  password?: string | undefined;
  tls?: TlsConnectionOptions | undefined;
  connectionOptions?: RedisOptions | undefined;
  commandTimeoutMs: number;
}

/** Drops `undefined` values so they do not override defaults in an object spread. */
function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

export function createStandaloneClient(settings: StandaloneConnectionSettings): Redis {
  const options: RedisOptions = {
    ...CLIENT_DEFAULTS,
    ...settings.connectionOptions,
    ...defined({
      host: settings.host,
      port: settings.port,
      db: settings.db,
      username: settings.username,
      password: settings.password,
      tls: settings.tls,
    }),
    commandTimeout: settings.commandTimeoutMs,
  };
  return settings.url === undefined ? new Redis(options) : new Redis(settings.url, options);
}

export interface SentinelConnectionSettings {
  sentinels: Array<{ host: string; port: number }>;
  masterName: string;
  sentinelUsername?: string | undefined;
  sentinelPassword?: string | undefined;
  db?: number | undefined;
  username?: string | undefined;
  password?: string | undefined;
  tls?: TlsConnectionOptions | undefined;
  connectionOptions?: RedisOptions | undefined;
  commandTimeoutMs: number;
}

export function createSentinelClient(settings: SentinelConnectionSettings): Redis {
  return new Redis({
    ...CLIENT_DEFAULTS,
    // Follows a failover as soon as the sentinels announce it (+switch-master), instead of when
    // the old master drops its clients: writes and locks taken meanwhile would go to the old one.
    failoverDetector: true,
    ...settings.connectionOptions,
    ...defined({
      db: settings.db,
      username: settings.username,
      password: settings.password,
      tls: settings.tls,
      sentinelUsername: settings.sentinelUsername,
      sentinelPassword: settings.sentinelPassword,
    }),
    sentinels: settings.sentinels,
    name: settings.masterName,
    // Reads and writes both go to the master: the lock and the values must be seen consistently.
    role: 'master',
    commandTimeout: settings.commandTimeoutMs,
    sentinelCommandTimeout: settings.commandTimeoutMs,
  });
}

export interface ClusterConnectionSettings {
  nodes: Array<{ host: string; port: number }>;
  username?: string | undefined;
  password?: string | undefined;
  tls?: TlsConnectionOptions | undefined;
  connectionOptions?: RedisOptions | undefined;
  clusterOptions?: ClusterOptions | undefined;
  commandTimeoutMs: number;
}

export function createClusterClient(settings: ClusterConnectionSettings): Cluster {
  const redisOptions: RedisOptions = {
    ...CLIENT_DEFAULTS,
    ...settings.clusterOptions?.redisOptions,
    ...settings.connectionOptions,
    ...defined({ username: settings.username, password: settings.password, tls: settings.tls }),
    commandTimeout: settings.commandTimeoutMs,
  };
  // The Cluster reconnects its nodes itself (clusterRetryStrategy); ioredis refuses a per-node one.
  delete redisOptions.retryStrategy;
  return new Cluster(settings.nodes, {
    enableAutoPipelining: true,
    slotsRefreshTimeout: Math.max(settings.commandTimeoutMs, 1_000),
    ...settings.clusterOptions,
    redisOptions,
  });
}

/** Reply errors that mean "the server cannot serve now", not "this command is wrong". */
const UNAVAILABLE_REPLY_CODES = new Set(['LOADING', 'READONLY', 'CLUSTERDOWN', 'MASTERDOWN', 'TRYAGAIN', 'BUSY', 'OOM', 'NOREPLICAS', 'MISCONF']);

function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

/**
 * Connection failures, timeouts and "server cannot serve now" replies become
 * `BackendUnavailableError`; other reply errors (a programming error such as WRONGTYPE) pass
 * through unchanged.
 */
export function toBackendError(error: unknown, operation: string, key?: string): Error {
  if (error instanceof DogpileCacheError) return error;
  if (isReplyError(error) && !UNAVAILABLE_REPLY_CODES.has(error.message.split(' ', 1)[0]!)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  const what = key === undefined ? operation : `${operation} of key ${JSON.stringify(key)}`;
  return new BackendUnavailableError(
    `Redis ${what} failed: ${reason}. Check that the Redis server is running and reachable; the region fails open (reads miss, creators run) unless configured to fail closed.`,
    { cause: error },
  );
}

type Reporter = (event: BackendEvent) => void;

/**
 * One client plus the knowledge of its health. Commands on a ready connection are bounded by
 * ioredis' `commandTimeout`; before the first connection they are raced against the same timeout
 * (a Cluster's offline queue has no timer of its own); after a connection loss they fail at once,
 * so that nothing queues behind a server that is down.
 */
export class RedisConnection {
  private everReady: boolean;
  private closed = false;
  private outageReported = false;
  private readonly listeners: Array<[string, (...args: unknown[]) => void]> = [];

  constructor(
    readonly client: RedisClient,
    /** True when this backend created the client and so closes it. */
    readonly owned: boolean,
    readonly commandTimeoutMs: number,
    private readonly report: Reporter,
  ) {
    this.everReady = client.status === 'ready';
    this.listen('ready', () => {
      this.everReady = true;
      this.outageReported = false;
    });
    // A lost connection is reported when it happens (a stopped server closes the socket without an
    // error event; reconnect attempts then fail quietly).
    this.listen('close', () => {
      if (this.everReady) this.reportOutage(new Error('the connection to Redis was closed'));
    });
    // Only our own clients get an error listener: adding one to a caller's client would silence
    // ioredis' "unhandled error event" output they may rely on.
    if (owned) this.listen('error', (error) => this.reportOutage(error));
  }

  private listen(event: string, listener: (...args: unknown[]) => void): void {
    this.client.on(event, listener);
    this.listeners.push([event, listener]);
  }

  /** Reports a connection problem once per outage, not on every reconnect attempt. */
  reportOutage(error: unknown): void {
    if (this.outageReported || this.closed) return;
    this.outageReported = true;
    this.report({ type: 'backendError', operation: 'connection', error: toBackendError(error, 'connection') });
  }

  get isReady(): boolean {
    return this.client.status === 'ready';
  }

  /**
   * Runs a command that needs the connection when it is not ready: fails at once when closed or
   * when the connection was lost, else waits at most the command timeout for the first connect.
   */
  runWhenNotReady<T>(operation: string, key: string | undefined, start: () => Promise<T>): Promise<T> {
    const status = this.client.status;
    if (this.closed || status === 'end') {
      return Promise.reject(toBackendError(new Error('the backend is closed'), operation, key));
    }
    if (status === 'ready') return start().catch((error: unknown) => Promise.reject(toBackendError(error, operation, key)));
    if (this.everReady) {
      return Promise.reject(toBackendError(new Error(`the connection to Redis was lost (${status})`), operation, key));
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(toBackendError(new Error(`no connection to Redis within ${this.commandTimeoutMs} ms`), operation, key)),
        this.commandTimeoutMs,
      );
      start().then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(toBackendError(error, operation, key));
        },
      );
    });
  }

  /** Runs any command with the health rules above. */
  run<T>(operation: string, key: string | undefined, start: () => Promise<T>): Promise<T> {
    if (this.client.status === 'ready') {
      return start().catch((error: unknown) => Promise.reject(toBackendError(error, operation, key)));
    }
    return this.runWhenNotReady(operation, key, start);
  }

  /** A second connection to the same server(s), for pub/sub. Always owned by the caller. */
  duplicate(): RedisClient {
    // The union's two `duplicate` signatures are not callable as one; each takes no arguments here.
    return this.client instanceof Cluster ? this.client.duplicate() : (this.client as Redis).duplicate();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [event, listener] of this.listeners) this.client.off(event, listener);
    if (this.owned) {
      // Late socket errors of a client being torn down are expected; keep them off the console.
      this.client.on('error', () => undefined);
      // A cache does not need QUIT's graceful drain, and QUIT would wait behind a dead server.
      this.client.disconnect();
    }
  }
}
