// Helpers shared by the Redis backend tests.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { BackendEvent } from '../../../src/backends/api.js';
import { encodeEnvelope } from '../../../src/serialization/index.js';
import { testServers } from '../../support/servers.js';

/** A key prefix no other test (or earlier run) uses. */
export function uniquePrefix(label: string): string {
  return `t-${label}-${randomBytes(4).toString('hex')}:`;
}

export function sharedRedisUrl(): string {
  return testServers().redisUrl;
}

/** A plain client for looking at what the backend wrote; close it with `disconnect()`. */
export function rawClient(url = sharedRedisUrl()): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1 });
}

/** Collects the events a backend reports. */
export function eventRecorder(): { events: BackendEvent[]; sink: (event: BackendEvent) => void } {
  const events: BackendEvent[] = [];
  return { events, sink: (event) => events.push(event) };
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). For waiting on real servers, not for timing. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** An entry as the region would store it, with `text` as its payload bytes. */
export function envelope(text: string): Uint8Array {
  return encodeEnvelope(Date.now(), Buffer.from(text));
}
