import { ValidationError } from './errors.js';

/**
 * A duration: a number of milliseconds, or a string such as `'250ms'`, `'30s'`, `'5m'`, `'2h'`,
 * `'1d'`. `-1` means "never expires".
 */
export type Duration = number | `${number}${DurationUnit}` | `${number}`;
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/;

/** Milliseconds meaning "never expires". */
export const NEVER = Number.POSITIVE_INFINITY;

/**
 * Parses a duration into milliseconds. `-1` and `Infinity` become {@link NEVER}; `undefined` and
 * `null` give `fallback`. Anything else that is not a non-negative finite duration throws a
 * {@link ValidationError} naming the option.
 */
export function parseDuration(value: unknown, option: string, fallback: number = NEVER): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number') {
    if (value === -1 || value === Number.POSITIVE_INFINITY) return NEVER;
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    if (value.trim() === '-1') return NEVER;
    const match = DURATION_PATTERN.exec(value);
    if (match) return Number(match[1]) * UNIT_MS[(match[2] as DurationUnit | undefined) ?? 'ms'];
  }
  throw new ValidationError(
    `${option} must be a duration: milliseconds as a number, a string like '250ms', '30s', '5m', '2h' or '1d', or -1 for never; got ${describe(value)}.`,
  );
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (value !== null && typeof value === 'object') {
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}

let lastStamp = 0;

/**
 * The wall clock in epoch milliseconds, strictly increasing within this thread (a microsecond is
 * added when the millisecond has not changed), so that a value written right after
 * `invalidate()` is never taken for one written before it.
 */
export function now(): number {
  const wall = Date.now();
  lastStamp = wall > lastStamp ? wall : lastStamp + 0.001;
  return lastStamp;
}

// Reading the clock costs as much as a whole cache hit, so freshness checks read a cached value:
// a timer clears it every millisecond, and so does every 32nd read, so that a synchronous loop
// that starves the timer still sees time advance.
const READS_PER_CLOCK_READ = 32;
let cachedNow = 0;
let readsLeft = 0;
let clearScheduled = false;

function clearCachedNow(): void {
  cachedNow = 0;
  clearScheduled = false;
}

/**
 * The wall clock for expiry checks: never ahead of `Date.now()`, and behind it by at most a
 * millisecond while the event loop turns, or by the time 32 reads take inside one synchronous
 * stretch of code.
 */
export function coarseNow(): number {
  if (cachedNow !== 0 && --readsLeft > 0) return cachedNow;
  cachedNow = Date.now();
  readsLeft = READS_PER_CLOCK_READ;
  if (!clearScheduled) {
    clearScheduled = true;
    setTimeout(clearCachedNow, 1).unref();
  }
  return cachedNow;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
