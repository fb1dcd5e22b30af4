import { Socket } from 'node:net';
import memjs from 'memjs';
import { BackendUnavailableError, DogpileCacheError } from '../../errors.js';
import { NO_VALUE, type NoValue } from '../../values.js';
import { DeadlineQueue } from './deadlines.js';
import type { ResolvedMemcachedOptions } from './options.js';

/** memcached answered, but refused the operation (a bad key, a value over its item limit, …). */
export class MemcachedRefusedError extends DogpileCacheError {
  constructor(
    readonly operation: string,
    readonly status: string,
    key: string,
  ) {
    super(`memcached refused ${operation} of key ${JSON.stringify(key)}: ${status}.`);
  }
}

// Server answers that mean "try later" rather than "never": they make the region fail open.
const TRANSIENT_STATUSES = new Set(['Out of memory', 'Busy', 'Temporary failure', 'Internal error']);
const SERVER_ANSWER = /^MemJS [A-Z_]+: (.+)$/;

// memjs logs to the console unless told otherwise; every failure also reaches our callbacks.
const SILENT_LOGGER = { log(): void {} };

type Callback<T> = (error: Error | string | null, result: T) => void;

/**
 * memjs with promises, a hard deadline on every operation, and errors sorted into "server
 * unreachable" (`BackendUnavailableError`) and "server said no" (`MemcachedRefusedError`).
 *
 * The deadline matters: when a server closes a connection without answering (memcached does so
 * on a request it rejects, a proxy when it gives up), memjs forgets the requests in flight on it
 * and never calls them back.
 */
export class MemcachedConnection {
  private readonly client: memjs.Client;
  private readonly operationTimeoutMs: number;
  private readonly deadlines: DeadlineQueue;
  private readonly batchWrites: boolean;
  /** Sockets corked during this event-loop turn; `undefined` when nothing is corked. */
  private corked: Socket[] | undefined;
  private closed = false;
  private inFlight = 0;
  private drained: (() => void) | undefined;

  constructor(options: ResolvedMemcachedOptions) {
    this.operationTimeoutMs = options.operationTimeoutMs;
    this.deadlines = new DeadlineQueue(options.operationTimeoutMs);
    this.batchWrites = options.batchWrites;
    this.client = memjs.Client.create(options.servers.join(','), {
      timeout: options.timeoutMs / 1000,
      conntimeout: options.connectTimeoutMs / 1000,
      // memjs counts attempts, not retries.
      retries: options.retries + 1,
      retry_delay: options.retryDelayMs / 1000,
      keepAlive: options.keepAlive,
      username: options.username,
      password: options.password,
      // Moving keys to another server while one is down would let two processes hold one lock.
      failover: false,
      expires: 0,
      logger: SILENT_LOGGER,
    });
  }

  /** The value bytes, or `null` when memcached has no such key. */
  get(key: string): Promise<Buffer | null> {
    return this.perform<Buffer | null>('get', key, (done) => this.client.get(key, done));
  }

  /** The value bytes, or `NO_VALUE` for a miss (one closure less than mapping `get`'s result). */
  getValue(key: string): Promise<Uint8Array | NoValue> {
    return this.perform<Uint8Array | NoValue>('get', key, (done) =>
      this.client.get(key, (error, value) => done(error, value === null ? NO_VALUE : value)),
    );
  }

  set(key: string, value: Uint8Array, expiration: number): Promise<boolean | null> {
    return this.perform<boolean | null>('set', key, (done) => this.client.set(key, toBuffer(value), { expires: expiration }, done));
  }

  /** Stores only when the key is absent; `true` when stored. */
  add(key: string, value: Uint8Array | string, expiration: number): Promise<boolean | null> {
    const bytes = typeof value === 'string' ? value : toBuffer(value);
    return this.perform<boolean | null>('add', key, (done) => this.client.add(key, bytes, { expires: expiration }, done));
  }

  /** `true` when the key existed. */
  delete(key: string): Promise<boolean | null> {
    return this.perform<boolean | null>('delete', key, (done) => this.client.delete(key, done));
  }

  /** Sets a new expiration on an existing key; `true` when the key existed. */
  touch(key: string, expiration: number): Promise<boolean | null> {
    return this.perform<boolean | null>('touch', key, (done) => this.client.touch(key, expiration, done));
  }

  /** Waits for operations in flight (each bounded by its deadline), then closes the sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.deadlines.stop();
    this.client.close();
  }

  private perform<T>(operation: string, key: string, start: (done: Callback<T>) => void): Promise<T> {
    if (this.closed) {
      return Promise.reject(new DogpileCacheError(`memcached backend is closed; ${operation} of key ${JSON.stringify(key)} was not sent.`));
    }
    // Only under concurrency: a lone request goes out at once, without a tick of delay.
    if (this.batchWrites && this.inFlight > 0 && this.corked === undefined) this.corkUntilNextTick();
    this.inFlight++;
    return new Promise<T>((resolve, reject) => {
      const pending = this.deadlines.start(() => {
        this.settle();
        // memjs has lost this request; start the server's connection afresh for the next ones.
        this.client.server(key)?.error(new Error(`no answer within ${this.operationTimeoutMs} ms`));
        reject(
          new BackendUnavailableError(
            `memcached ${operation} of key ${JSON.stringify(key)} got no answer within ${this.operationTimeoutMs} ms ` +
              `(operationTimeout); check that ${this.serverFor(key)} is up and reachable.`,
          ),
        );
      });
      start((error, result) => {
        if (pending.settled) return;
        this.deadlines.settle(pending);
        this.settle();
        if (error) reject(this.translate(operation, key, error));
        else resolve(result);
      });
    });
  }

  /**
   * memjs writes every request to its socket on its own, one system call each, which is most of
   * its CPU cost under load. Corking the open sockets until the end of this turn sends the
   * requests issued in it together. memjs does not expose its sockets, so this reads its
   * `_socket` field and does nothing when that is missing (a connection still opening, or a memjs
   * that changed).
   */
  private corkUntilNextTick(): void {
    const sockets: Socket[] = [];
    for (const server of this.client.servers) {
      const socket = (server as unknown as { _socket?: unknown })._socket;
      if (socket instanceof Socket && socket.writable) {
        socket.cork();
        sockets.push(socket);
      }
    }
    this.corked = sockets;
    process.nextTick(this.uncork);
  }

  private readonly uncork = (): void => {
    const sockets = this.corked ?? [];
    this.corked = undefined;
    for (const socket of sockets) socket.uncork();
  };

  private settle(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.drained) {
      this.drained();
      this.drained = undefined;
    }
  }

  private serverFor(key: string): string {
    const server = this.client.server(key);
    return server ? `memcached at ${server.host}:${server.port}` : 'memcached';
  }

  private translate(operation: string, key: string, error: Error | string): DogpileCacheError {
    const message = typeof error === 'string' ? error : error.message;
    const answer = SERVER_ANSWER.exec(message);
    if (answer && !TRANSIENT_STATUSES.has(answer[1]!)) return new MemcachedRefusedError(operation, answer[1]!, key);
    return new BackendUnavailableError(
      `memcached ${operation} of key ${JSON.stringify(key)} failed: ${message}; check that ${this.serverFor(key)} is up and reachable.`,
      { cause: error },
    );
  }
}

/** A Buffer view over the same bytes (memjs copies anything that is not a Buffer). */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
