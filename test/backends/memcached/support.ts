// Helpers shared by the memcached backend tests: unique key prefixes on the run's shared server,
// backends that are closed after each test, and a raw memjs client to look at what the server holds.
import { randomBytes } from 'node:crypto';
import memjs from 'memjs';
import { encodeEnvelope } from '../../../src/serialization/index.js';
import { MemcachedBackend, type MemcachedBackendOptions } from '../../../src/backends/memcached/index.js';
import { testServers } from '../../support/servers.js';

export function uniquePrefix(label = 't'): string {
  return `${label}-${randomBytes(6).toString('hex')}:`;
}

export function sharedServers(): string {
  return testServers().memcachedServers;
}

/** Opens backends for one test and closes them all afterwards (call `closeAll` in afterEach). */
export class BackendPool {
  private readonly open: MemcachedBackend[] = [];

  create(options: MemcachedBackendOptions = {}): MemcachedBackend {
    const backend = new MemcachedBackend({ servers: sharedServers(), prefix: uniquePrefix(), ...options });
    this.open.push(backend);
    return backend;
  }

  async closeAll(): Promise<void> {
    const backends = this.open.splice(0);
    await Promise.all(backends.map((backend) => backend.close()));
  }
}

/** A memjs client for inspecting the server directly (no prefixing, no key safety). */
export function rawClient(servers = sharedServers()): memjs.Client {
  return memjs.Client.create(servers, { logger: { log() {} }, retries: 1, timeout: 1 });
}

export function envelope(text: string, createdAt = Date.now()): Uint8Array {
  return encodeEnvelope(createdAt, new TextEncoder().encode(text));
}

export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes.subarray(12));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
