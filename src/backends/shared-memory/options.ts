import { ValidationError } from '../../errors.js';
import { describe, parseDuration } from '../../time.js';
import type { BackendArguments } from '../api.js';

/** Arguments of the `shared-memory` backend (the `arguments` object of `configure()`). */
export interface SharedMemoryBackendOptions {
  /**
   * Most entries the table holds; past it the CLOCK hand evicts one (expired entries first).
   * Sizes the index: about 40 bytes of shared memory per entry are reserved up front.
   * Default: `10_000`.
   */
  maxEntries?: number;
  /**
   * Bytes of the arena that holds keys and encoded values (rounded down to a multiple of 8).
   * When it is full, entries are evicted until the new one fits. The `SharedArrayBuffer` is
   * allocated at this size once; the operating system only commits the pages that get written.
   * Default: `64 MiB` (`67_108_864`).
   */
  maxBytes?: number;
  /**
   * Largest encoded value (envelope header + payload) one entry may hold; a bigger value makes
   * `set` throw `ValueTooLargeError`. Default: a quarter of `maxBytes`.
   */
  maxValueBytes?: number;
  /**
   * Largest key, in stored bytes (1 byte per character when every character is below U+0100,
   * else 2 bytes per UTF-16 code unit); a longer key makes `set` throw `ValueTooLargeError`.
   * Default: `4096`, or less when `maxBytes` is small (an eighth of it, and never more than what
   * `maxValueBytes` leaves).
   */
  maxKeyBytes?: number;
  /**
   * How many decoded values each thread keeps (oldest dropped first), so that a repeated read
   * costs a map lookup and a version check instead of a decode. `0` turns the per-thread cache
   * off. A region's own `deserializer` is therefore called once per thread for each stored
   * version of a value, not on every read. Default: `maxEntries`.
   */
  localCacheEntries?: number;
  /**
   * How long a creation lock stays valid without renewal. A holder renews it every third of the
   * lease while its event loop runs; when a holder thread dies, others take the lock over after
   * this. A synchronous creator that runs longer than this loses the lock. Duration (ms number or
   * `'10s'`-style string). Default: `'10s'`.
   */
  lockLease?: number | string;
  /**
   * Number of lock records in the shared lock table (rounded up to a power of two). Bounds how
   * many creation locks can be held at once across all threads: keep it above four times that
   * number. Default: `4096`.
   */
  lockSlots?: number;
}

/** The options after validation and defaults. */
export interface ResolvedSharedMemoryOptions {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly maxValueBytes: number;
  readonly maxKeyBytes: number;
  readonly localCacheEntries: number;
  readonly lockLeaseMs: number;
  readonly lockSlots: number;
}

export const DEFAULT_MAX_ENTRIES = 10_000;
export const DEFAULT_MAX_BYTES = 64 * 2 ** 20;
export const DEFAULT_MAX_KEY_BYTES = 4096;
export const DEFAULT_LOCK_LEASE_MS = 10_000;
export const DEFAULT_LOCK_SLOTS = 4096;

/** Upper bounds that keep every index and arena offset inside a signed 32-bit word. */
export const MAX_ENTRIES_LIMIT = 2 ** 24;
export const MAX_BYTES_LIMIT = 2 ** 31 - 64;
export const MIN_BYTES = 4096;
export const MAX_LOCK_SLOTS = 2 ** 20;
/** Lease deadlines are kept as 32-bit millisecond offsets, compared modulo 2^32. */
export const MAX_LOCK_LEASE_MS = 2 ** 30;

/** Bytes an entry's block adds around its key and value (size header and footer). */
export const BLOCK_OVERHEAD = 8;

function integerOption(args: BackendArguments, name: string, fallback: number, min: number, max: number, what: string): number {
  const value = args[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  throw new ValidationError(`shared-memory backend: ${name} must be an integer from ${min} to ${max} (${what}); got ${describe(value)}.`);
}

/**
 * Reads and checks the backend arguments; every problem is a `ValidationError` naming the option.
 * The arguments object is only read, never changed. Unknown names are ignored, like the other
 * backends do, so one config can carry arguments for several backends.
 */
export function resolveOptions(args: BackendArguments = {}): ResolvedSharedMemoryOptions {
  if (args === null || typeof args !== 'object') {
    throw new ValidationError(`shared-memory backend: arguments must be an object; got ${describe(args)}.`);
  }
  const maxEntries = integerOption(args, 'maxEntries', DEFAULT_MAX_ENTRIES, 1, MAX_ENTRIES_LIMIT, 'entries in the table');
  const maxBytes = integerOption(args, 'maxBytes', DEFAULT_MAX_BYTES, MIN_BYTES, MAX_BYTES_LIMIT, 'arena bytes') & ~7;
  const maxValueBytes = integerOption(args, 'maxValueBytes', Math.floor(maxBytes / 4), 1, maxBytes, 'bytes of one encoded value');
  const keyDefault = Math.max(1, Math.min(DEFAULT_MAX_KEY_BYTES, Math.floor(maxBytes / 8), maxBytes - maxValueBytes - BLOCK_OVERHEAD));
  const maxKeyBytes = integerOption(args, 'maxKeyBytes', keyDefault, 1, maxBytes, 'bytes of one key');
  if (maxKeyBytes + maxValueBytes + BLOCK_OVERHEAD > maxBytes) {
    throw new ValidationError(
      `shared-memory backend: maxKeyBytes (${maxKeyBytes}) + maxValueBytes (${maxValueBytes}) + ${BLOCK_OVERHEAD} must fit in maxBytes (${maxBytes}); ` +
        `raise maxBytes or lower the per-entry limits.`,
    );
  }
  const localCacheEntries = integerOption(args, 'localCacheEntries', maxEntries, 0, Number.MAX_SAFE_INTEGER, 'decoded values kept per thread, 0 for none');
  const lockLeaseMs = parseDuration(args.lockLease, 'shared-memory backend: lockLease', DEFAULT_LOCK_LEASE_MS);
  if (!(lockLeaseMs >= 1 && lockLeaseMs <= MAX_LOCK_LEASE_MS)) {
    throw new ValidationError(
      `shared-memory backend: lockLease must be a duration from 1 ms to ${MAX_LOCK_LEASE_MS} ms (about 12 days); got ${describe(args.lockLease)}.`,
    );
  }
  const lockSlots = nextPowerOfTwo(integerOption(args, 'lockSlots', DEFAULT_LOCK_SLOTS, 16, MAX_LOCK_SLOTS, 'records in the lock table'));
  return { maxEntries, maxBytes, maxValueBytes, maxKeyBytes, localCacheEntries, lockLeaseMs: Math.ceil(lockLeaseMs), lockSlots };
}

export function nextPowerOfTwo(n: number): number {
  let power = 1;
  while (power < n) power *= 2;
  return power;
}
