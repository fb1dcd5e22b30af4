// The region-wide invalidation state, shared through Redis: `region.invalidate()` in any process
// or host reaches every region over the same Redis and prefix. The region reads the state on its
// hot path, synchronously, so each backend keeps a local copy: loaded with one GET on first use
// and again once subscribed, kept current by a pub/sub message at each invalidation, and re-read
// after the pub/sub connection comes back from an outage (messages sent meanwhile are lost).
import type { BackendEvent, InvalidationState, InvalidationStore } from '../api.js';
import type { RedisConnection } from './connection.js';
import type { KeyLayout } from './keys.js';
import { INVALIDATE, runScript } from './scripts.js';
import type { Subscriptions } from './subscriptions.js';

/** Until the first load succeeds, it is retried on reads at most this often. */
const RELOAD_DELAY_MS = 1_000;

/** `<epoch ms>:<1|0>`, or `undefined` for anything else (the record is untrusted input). */
export function parseInvalidation(text: string | null | undefined): InvalidationState | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^(\d{1,16}):([01])$/.exec(text);
  if (!match) return undefined;
  return { at: Number(match[1]), hard: match[2] === '1' };
}

export class RedisInvalidationStore implements InvalidationStore {
  private state: InvalidationState | undefined;
  /** Both loaded and subscribed: from then on messages keep the copy current. */
  private current = false;
  private loaded = false;
  private subscribed = false;
  private nextLoadAt = 0;
  private listeningForReconnects = false;
  private closed = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly layout: KeyLayout,
    private readonly subscriptions: Subscriptions,
    private readonly report: (event: BackendEvent) => void,
    /** The value TTL (`Infinity`: none): values older than that are gone, and so may the record be. */
    private readonly valueTtlMs: () => number,
  ) {}

  read(): InvalidationState | undefined {
    if (!this.current) this.catchUp();
    return this.state;
  }

  write(state: InvalidationState): void {
    this.adopt(state);
    if (!this.current) this.catchUp();
    void this.record(state);
  }

  /** Keeps the latest invalidation: messages and loads may arrive in any order. */
  private adopt(state: InvalidationState | undefined): void {
    if (state !== undefined && (this.state === undefined || state.at >= this.state.at)) this.state = state;
  }

  /** Loads the record and subscribes, at most once a second until both have succeeded. */
  private catchUp(): void {
    if (this.closed || Date.now() < this.nextLoadAt) return;
    this.nextLoadAt = Date.now() + RELOAD_DELAY_MS;
    if (!this.listeningForReconnects) {
      this.listeningForReconnects = true;
      this.subscriptions.onReconnect(() => void this.load());
    }
    if (this.subscribed) {
      // Subscribed, but the load that followed failed.
      void this.load();
      return;
    }
    if (!this.loaded) void this.load();
    // Loaded again once subscribed: an invalidation published before the subscription is in the
    // record, one published after it arrives as a message, and none falls in between.
    void this.subscriptions.listen(this.layout.invalidationChannel, (message) => this.adopt(parseInvalidation(message))).then(async (active) => {
      if (!active || this.closed) return;
      this.subscribed = true;
      await this.load();
    });
  }

  private async load(): Promise<void> {
    try {
      const record = await this.connection.run('GET (invalidation)', undefined, () => this.connection.client.get(this.layout.invalidationKey));
      this.adopt(parseInvalidation(record));
      this.loaded = true;
      this.current = this.subscribed;
    } catch (error) {
      if (!this.closed) this.report({ type: 'backendError', operation: 'invalidation load', error });
    }
  }

  private async record(state: InvalidationState): Promise<void> {
    const ttl = this.valueTtlMs();
    try {
      await this.connection.run('invalidate', undefined, () =>
        runScript(
          this.connection.client,
          INVALIDATE,
          [this.layout.invalidationKey],
          [Math.floor(state.at), state.hard ? 1 : 0, this.layout.invalidationChannel, Number.isFinite(ttl) ? ttl : 0],
        ),
      );
    } catch (error) {
      // The invalidation holds in this process; other processes miss it until the next one.
      if (!this.closed) this.report({ type: 'backendError', operation: 'invalidate', error });
    }
  }

  close(): void {
    this.closed = true;
  }
}
