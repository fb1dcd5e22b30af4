/** memcached reads an expiration above 30 days as an absolute Unix time, not a number of seconds. */
export const MAX_RELATIVE_EXPIRATION_SECONDS = 60 * 60 * 24 * 30;

/**
 * The expiration field memcached expects for a TTL in ms: `0` for "keep until evicted", whole
 * seconds (rounded up) up to 30 days, and an absolute Unix time in seconds beyond that.
 */
export function memcachedExpiration(ttlMs: number, nowMs: number = Date.now()): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) return 0;
  const seconds = Math.ceil(ttlMs / 1000);
  if (seconds <= MAX_RELATIVE_EXPIRATION_SECONDS) return seconds;
  return Math.floor(nowMs / 1000) + seconds;
}
