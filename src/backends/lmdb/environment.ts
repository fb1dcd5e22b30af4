// Opens the LMDB environment and its three databases, and maps region keys to LMDB keys.
//
// - `dogpile:values`: envelope bytes per key (binary encoding: lmdb stores our bytes as they are).
// - `dogpile:locks`: one lock record per held creation lock, plus the sweep lock.
// - `dogpile:meta`: the region-wide invalidation state.
import { createHash } from 'node:crypto';
import { open, type Database, type RootDatabase } from 'lmdb';
import { BackendUnavailableError } from '../../errors.js';
import type { LmdbSettings } from './options.js';

export type BinaryDatabase = Database<Uint8Array, string>;

export interface LmdbEnvironment {
  readonly root: RootDatabase<Buffer, string>;
  readonly values: BinaryDatabase;
  readonly locks: BinaryDatabase;
  readonly meta: BinaryDatabase;
}

export function openEnvironment(settings: LmdbSettings): LmdbEnvironment {
  let root: RootDatabase<Buffer, string>;
  try {
    root = open<Buffer, string>({
      path: settings.path,
      // lmdb-js would take a path whose last part has a dot ("/tmp/tmp.x1") for a single file.
      noSubdir: false,
      noSync: settings.noSync,
      ...(settings.mapSize === undefined ? {} : { mapSize: settings.mapSize }),
      encoding: 'binary',
      // Decoded-value caching is per thread and would hide other processes' writes.
      cache: false,
    });
  } catch (error) {
    throw new BackendUnavailableError(
      `lmdb backend: cannot open the environment at ${JSON.stringify(settings.path)}: ${(error as Error).message}. ` +
        `Check that the directory can be created and written by this process.`,
      { cause: error },
    );
  }
  const binary = { encoding: 'binary', cache: false } as const;
  return {
    root,
    values: root.openDB<Uint8Array, string>({ name: 'dogpile:values', ...binary }),
    locks: root.openDB<Uint8Array, string>({ name: 'dogpile:locks', ...binary }),
    meta: root.openDB<Uint8Array, string>({ name: 'dogpile:meta', ...binary }),
  };
}

/**
 * LMDB keys are limited to 1978 bytes. Longer keys are stored under `"\0" + sha256(key)`; so are
 * keys that start with `"\0"` themselves, so a region key can never pose as a hashed one (or as
 * the sweep lock's key, `"\0sweep"`).
 */
const MAX_PLAIN_KEY_BYTES = 1_900;

export function storedKey(key: string): string {
  if (key.length * 3 <= MAX_PLAIN_KEY_BYTES && key.charCodeAt(0) !== 0) return key;
  if (key.charCodeAt(0) !== 0 && Buffer.byteLength(key, 'utf8') <= MAX_PLAIN_KEY_BYTES) return key;
  return '\0' + createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The key of the lock that lets one process at a time sweep the store. */
export const SWEEP_LOCK_KEY = '\0sweep';

/**
 * Memory lmdb-js gives every thread of this process that opens the environment (not other
 * processes): the same buffer for the same `id`, zero-filled when first made. A plain
 * ArrayBuffer, on which `Atomics` read-modify-write operations work but `Atomics.wait` does not.
 */
export function processSharedBuffer(db: BinaryDatabase, id: string, bytes: number): ArrayBuffer {
  // lmdb's type declarations leave this method out; it exists at run time.
  return (db as unknown as { getUserSharedBuffer(id: string, initial: ArrayBuffer): ArrayBuffer }).getUserSharedBuffer(id, new ArrayBuffer(bytes));
}
