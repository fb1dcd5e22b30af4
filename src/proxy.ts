import type { CacheBackend, CacheMutex, MaybePromise, StoredValue } from './backends/api.js';
import { isSyncBackend } from './backends/api.js';
import { NO_VALUE, type NoValue } from './values.js';

/**
 * A backend that forwards to the backend it wraps (`this.proxied`). Subclass it and override any
 * method to observe or change what reaches the store; give instances or classes to
 * `configure({ wrap })` or `region.wrap()`. Proxies stack: each wraps the one inside it.
 */
export class ProxyBackend implements CacheBackend {
  private inner: CacheBackend | undefined;

  /** The backend this proxy forwards to. */
  get proxied(): CacheBackend {
    if (this.inner === undefined) throw new TypeError(`${this.constructor.name} is not wrapping a backend yet; call wrap(backend) first.`);
    return this.inner;
  }

  /** Wraps `backend` and returns this proxy. */
  wrap(backend: CacheBackend): this {
    if (backend === null || typeof backend !== 'object' || typeof backend.get !== 'function') {
      throw new TypeError(`${this.constructor.name}.wrap() needs a cache backend or another proxy.`);
    }
    this.inner = backend;
    return this;
  }

  get serialized(): boolean {
    return this.proxied.serialized === true;
  }

  get(key: string): MaybePromise<StoredValue | NoValue> {
    return this.proxied.get(key);
  }

  set(key: string, value: StoredValue): MaybePromise<void> {
    return this.proxied.set(key, value);
  }

  delete(key: string): MaybePromise<void> {
    return this.proxied.delete(key);
  }

  getMulti(keys: readonly string[]): MaybePromise<Array<StoredValue | NoValue>> {
    const backend = this.proxied;
    if (backend.getMulti) return backend.getMulti(keys);
    return Promise.all(keys.map((key) => backend.get(key)));
  }

  async setMulti(entries: ReadonlyArray<readonly [string, StoredValue]>): Promise<void> {
    const backend = this.proxied;
    if (backend.setMulti) return backend.setMulti(entries);
    for (const [key, value] of entries) await backend.set(key, value);
  }

  async deleteMulti(keys: readonly string[]): Promise<void> {
    const backend = this.proxied;
    if (backend.deleteMulti) return backend.deleteMulti(keys);
    for (const key of keys) await backend.delete(key);
  }

  getMutex(key: string): CacheMutex | null | undefined {
    return this.proxied.getMutex?.(key);
  }

  getSync(key: string): StoredValue | NoValue {
    return this.syncBackend('getSync').getSync!(key);
  }

  setSync(key: string, value: StoredValue): void {
    this.syncBackend('setSync').setSync!(key, value);
  }

  deleteSync(key: string): void {
    this.syncBackend('deleteSync').deleteSync!(key);
  }

  getMultiSync(keys: readonly string[]): Array<StoredValue | NoValue> {
    const backend = this.syncBackend('getMultiSync');
    return backend.getMultiSync ? backend.getMultiSync(keys) : keys.map((key) => backend.getSync?.(key) ?? NO_VALUE);
  }

  setMultiSync(entries: ReadonlyArray<readonly [string, StoredValue]>): void {
    const backend = this.syncBackend('setMultiSync');
    if (backend.setMultiSync) backend.setMultiSync(entries);
    else for (const [key, value] of entries) backend.setSync!(key, value);
  }

  deleteMultiSync(keys: readonly string[]): void {
    const backend = this.syncBackend('deleteMultiSync');
    if (backend.deleteMultiSync) backend.deleteMultiSync(keys);
    else for (const key of keys) backend.deleteSync!(key);
  }

  private syncBackend(method: string): CacheBackend {
    const backend = this.proxied;
    if (!supportsSync(backend)) {
      throw new TypeError(`${method}: the backend under ${this.constructor.name} (${backend.constructor.name}) cannot answer synchronously; use the async API.`);
    }
    return backend;
  }
}

/** Whether a backend, looking through any proxies around it, answers synchronously. */
export function supportsSync(backend: CacheBackend): boolean {
  let current: CacheBackend = backend;
  while (current instanceof ProxyBackend) current = current.proxied;
  return isSyncBackend(current);
}

/** The backend under every proxy. */
export function innermostBackend(backend: CacheBackend): CacheBackend {
  let current: CacheBackend = backend;
  while (current instanceof ProxyBackend) current = current.proxied;
  return current;
}
