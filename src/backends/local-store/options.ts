// The options the two on-host backends (lmdb, file) share: size bounds, backend-level expiry,
// sweeps and the cross-process creation lock. Checked at construction; every problem is a
// ValidationError that names the backend, the option and what to pass instead.
import { ValidationError } from '../../errors.js';
import { NEVER, describe, parseDuration, type Duration } from '../../time.js';
import type { BackendArguments } from '../api.js';

/** Options shared by `lmdb` and `file`. */
export interface LocalStoreOptions {
  /**
   * Most entries the store keeps. When a write takes it past this, a sweep removes expired
   * entries, then the oldest ones, until 90 % of the bound is left. Positive integer, or
   * `Infinity` / `-1` for no limit. Default: no limit.
   */
  maxEntries?: number;
  /**
   * Most bytes the stored entries may take. `lmdb`: the pages of the values database (keys,
   * values and B-tree overhead); `file`: the sizes of the entry files. Past it a sweep removes
   * expired, then oldest entries down to 90 %. Positive integer, or `Infinity` / `-1` for no
   * limit. Default: `268_435_456` (256 MiB).
   */
  maxBytes?: number;
  /**
   * Backend-level expiry: an entry created longer ago than this reads as a miss and is removed by
   * the next sweep. Keep it above the region's expiration time plus the time a regeneration
   * takes, so a stale value can still be served while it is regenerated. Duration; `-1` never.
   * Default: the region's expiration time `E` plus `max(E, 60s)`; never when the region's values
   * never expire.
   */
  maxAge?: Duration;
  /**
   * How often each process sweeps on a timer (expired entries, then the bounds), besides the
   * checks that writes trigger. The timer is unref'd. Duration; `-1` for no timer. Default `'60s'`.
   */
  sweepInterval?: Duration;
  /**
   * How long a creation lock stays held without renewal. The holder renews it every third of
   * this while its event loop runs, so only a synchronous creator (`getOrCreateSync`) has to
   * finish within it; a lock whose owner died is taken over when it runs out (or at once, see
   * `checkOwnerAlive`). Duration, at least 1 ms. Default `'10s'`.
   */
  lockLease?: Duration;
  /**
   * Longest pause between two looks at a held lock while waiting for it. Waiters start at about
   * 1 ms and back off, with jitter, up to this. Duration, at least 1 ms. Default `'20ms'`.
   */
  lockPollInterval?: Duration;
  /**
   * Take a lock over as soon as its owner process has exited (`process.kill(pid, 0)` fails),
   * instead of waiting for its lease to run out. Set `false` when processes in different pid
   * namespaces (containers) share the store, where a foreign pid means nothing. Default `true`.
   */
  checkOwnerAlive?: boolean;
}

/** The shared options after validation and defaults, in milliseconds and bytes. */
export interface LocalStoreSettings {
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** `undefined`: follow the region's expiration time; `NEVER`: no backend-level expiry. */
  readonly maxAgeMs: number | undefined;
  readonly sweepIntervalMs: number;
  readonly lockLeaseMs: number;
  readonly lockPollMs: number;
  readonly checkOwnerAlive: boolean;
}

export const LOCAL_STORE_OPTION_NAMES = [
  'maxEntries',
  'maxBytes',
  'maxAge',
  'sweepInterval',
  'lockLease',
  'lockPollInterval',
  'checkOwnerAlive',
] as const;

export const DEFAULT_MAX_BYTES = 256 * 2 ** 20;
export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
export const DEFAULT_LOCK_LEASE_MS = 10_000;
export const DEFAULT_LOCK_POLL_MS = 20;
/** The smallest grace added to the region's expiration time for the default `maxAge`. */
export const MIN_MAX_AGE_GRACE_MS = 60_000;
/** Longest lease: timers cannot fire later than 2^31 - 1 ms. */
const MAX_LEASE_MS = 2 ** 31 - 1;

/** Checks option values for one named backend. */
export class OptionReader {
  constructor(
    readonly backend: string,
    readonly args: BackendArguments,
  ) {}

  fail(message: string): never {
    throw new ValidationError(`${this.backend} backend: ${message}`);
  }

  /** Rejects names the backend does not know, so a misspelt option is not silently ignored. */
  rejectUnknown(known: readonly string[]): void {
    for (const name of Object.keys(this.args)) {
      if (!known.includes(name)) this.fail(`unknown option ${JSON.stringify(name)}; the options are ${known.join(', ')}.`);
    }
  }

  requiredString(name: string, what: string): string {
    const value = this.args[name];
    if (typeof value !== 'string' || value.trim() === '') this.fail(`${name} is required: ${what}; got ${describe(value)}.`);
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.args[name];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') this.fail(`${name} must be true or false; got ${describe(value)}.`);
    return value;
  }

  /** A positive integer, or no limit (`Infinity`, `-1`). */
  limit(name: string, fallback: number): number {
    const value = this.args[name];
    if (value === undefined || value === null) return fallback;
    if (value === -1 || value === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      this.fail(`${name} must be a positive integer, or -1 / Infinity for no limit; got ${describe(value)}.`);
    }
    return value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.args[name];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      this.fail(`${name} must be an integer from ${min} to ${max}; got ${describe(value)}.`);
    }
    return value;
  }

  /** A duration in ms; `NEVER` for -1. `undefined` when absent and no fallback is given. */
  duration(name: string, fallback: number | undefined): number | undefined {
    const value = this.args[name];
    if (value === undefined || value === null) return fallback;
    return parseDuration(value, `${this.backend} backend: ${name}`);
  }

  /** A finite duration of at least `min` ms. */
  finiteDuration(name: string, fallback: number, min: number, max: number): number {
    const ms = this.duration(name, fallback)!;
    if (!(ms >= min && ms <= max)) this.fail(`${name} must be a duration from ${min} ms to ${max} ms; got ${describe(this.args[name])}.`);
    return ms;
  }
}

export function readLocalStoreOptions(reader: OptionReader): LocalStoreSettings {
  return {
    maxEntries: reader.limit('maxEntries', Number.POSITIVE_INFINITY),
    maxBytes: reader.limit('maxBytes', DEFAULT_MAX_BYTES),
    maxAgeMs: reader.duration('maxAge', undefined),
    sweepIntervalMs: reader.duration('sweepInterval', DEFAULT_SWEEP_INTERVAL_MS)!,
    lockLeaseMs: Math.ceil(reader.finiteDuration('lockLease', DEFAULT_LOCK_LEASE_MS, 1, MAX_LEASE_MS)),
    lockPollMs: reader.finiteDuration('lockPollInterval', DEFAULT_LOCK_POLL_MS, 1, MAX_LEASE_MS),
    checkOwnerAlive: reader.boolean('checkOwnerAlive', true),
  };
}

/** The `maxAge` in effect: the explicit one, else derived from the region's expiration time. */
export function effectiveMaxAge(settings: LocalStoreSettings, regionExpirationMs: number | undefined): number {
  if (settings.maxAgeMs !== undefined) return settings.maxAgeMs;
  if (regionExpirationMs === undefined || regionExpirationMs === NEVER || !Number.isFinite(regionExpirationMs)) return NEVER;
  return regionExpirationMs + Math.max(regionExpirationMs, MIN_MAX_AGE_GRACE_MS);
}

/** `arguments` must be a plain options object. */
export function checkArgumentsObject(backend: string, args: unknown): BackendArguments {
  if (args === undefined || args === null) return {};
  if (typeof args !== 'object' || Array.isArray(args)) {
    throw new ValidationError(`${backend} backend: arguments must be an options object; got ${describe(args)}.`);
  }
  return args as BackendArguments;
}
