// What the on-host stores (lmdb, file) check of the entries they write and read.
import { ValueTooLargeError } from '../../errors.js';
import { readCreatedAt } from '../../serialization/index.js';
import { NEVER } from '../../time.js';
import type { StoredValue } from '../api.js';

/** The envelope bytes to store for `key`: refuses anything else, and values over `maxBytes`. */
export function entryBytesWithin(backend: string, key: string, value: StoredValue, maxBytes: number): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${backend} backend: set(${JSON.stringify(key)}) needs envelope bytes (a Uint8Array); the region encodes values for serialized backends.`);
  }
  if (value.length > maxBytes) {
    throw new ValueTooLargeError(key, value.length, maxBytes, `store a smaller value or raise the ${backend} backend option maxBytes`);
  }
  return value;
}

/** Whether stored bytes are past the backend's `maxAge`. Bytes that are not an entry (NaN) are not: the region reports them. */
export function isPastMaxAge(bytes: Uint8Array, maxAgeMs: number): boolean {
  return maxAgeMs !== NEVER && readCreatedAt(bytes) < Date.now() - maxAgeMs;
}
