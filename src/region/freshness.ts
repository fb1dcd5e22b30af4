import { MISSING, type Freshness } from '../lock/index.js';
import { NEVER, coarseNow } from '../time.js';
import { NO_VALUE, type CachedValue, type NoValue } from '../values.js';
import type { RegionInvalidationStrategy } from './invalidation.js';

/** Strictly older than the expiration time; `0` means always expired, `NEVER` never. */
export function isExpired(createdAt: number, expirationMs: number): boolean {
  return expirationMs !== NEVER && (expirationMs === 0 || coarseNow() - createdAt > expirationMs);
}

/** The hit path's check, allocating nothing: present, not invalidated, not expired. */
export function isFresh(entry: CachedValue | NoValue, expirationMs: number, invalidator: RegionInvalidationStrategy): boolean {
  if (entry === NO_VALUE) return false;
  const ct = (entry as CachedValue).metadata.ct;
  return !invalidator.isInvalidated(ct) && !isExpired(ct, expirationMs);
}

/** What the lock sees: hard-invalidated is missing; soft-invalidated or old is stale. */
export function judge<T>(entry: CachedValue | NoValue, expirationMs: number, invalidator: RegionInvalidationStrategy): Freshness<T> {
  if (entry === NO_VALUE) return MISSING;
  const { ct } = (entry as CachedValue).metadata;
  const payload = (entry as CachedValue<T>).payload;
  if (invalidator.isInvalidated(ct)) return invalidator.isHardInvalidated(ct) ? MISSING : { state: 'stale', value: payload };
  if (isExpired(ct, expirationMs)) return { state: 'stale', value: payload };
  return { state: 'fresh', value: payload };
}

/** What plain reads return: anything expired or invalidated (hard or soft) is `NO_VALUE`. */
export function visible(
  entry: CachedValue | NoValue,
  expirationMs: number,
  ignoreExpiration: boolean,
  invalidator: RegionInvalidationStrategy,
): CachedValue | NoValue {
  if (entry === NO_VALUE || ignoreExpiration) return entry;
  const ct = (entry as CachedValue).metadata.ct;
  return invalidator.isInvalidated(ct) || isExpired(ct, expirationMs) ? NO_VALUE : entry;
}
