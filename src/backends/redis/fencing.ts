// Fencing: a value written by a lock holder carries the generation its lock was issued with, and
// Redis refuses it when a holder with a newer generation already wrote. This stops a holder that
// lost its lease (a long GC pause, a partition) from overwriting the value of the holder after it.
//
// A write knows its generation through this registry: while a mutex of this backend holds the lock
// of a key, `set(key)` in this process is that holder's write (the region creates and stores under
// the lock it holds, and lets only one caller per process hold a key's lock at a time).
import type { KeyLayout } from './keys.js';
import type { RedisClient } from './connection.js';
import { FENCED_SET, runScript } from './scripts.js';

interface Holding {
  readonly generation: string;
  readonly owner: object;
}

export class FencingRegistry {
  private readonly holdings = new Map<string, Holding>();

  hold(key: string, generation: string, owner: object): void {
    this.holdings.set(key, { generation, owner });
  }

  /** Forgets the holding only if it is still `owner`'s (a later holder may have replaced it). */
  forget(key: string, owner: object): void {
    if (this.holdings.get(key)?.owner === owner) this.holdings.delete(key);
  }

  generationFor(key: string): string | undefined {
    return this.holdings.size === 0 ? undefined : this.holdings.get(key)?.generation;
  }
}

/** How long fencing records outlive their value: long enough to fence off any plausible late writer. */
const FENCE_RETENTION_MIN_MS = 3_600_000;

/** TTL of a fencing record: the value's TTL (0 when it has none) plus max(1 h, 10 leases). */
export function fenceRecordTtlMs(valueTtlMs: number, leaseMs: number): number {
  return (Number.isFinite(valueTtlMs) ? valueTtlMs : 0) + Math.max(FENCE_RETENTION_MIN_MS, 10 * leaseMs);
}

/** Writes `value` unless a newer generation already wrote; true when written. One round trip. */
export async function fencedWrite(
  client: RedisClient,
  layout: KeyLayout,
  key: string,
  value: Buffer,
  generation: string,
  valueTtlMs: number,
  leaseMs: number,
): Promise<boolean> {
  const ttl = Number.isFinite(valueTtlMs) ? valueTtlMs : 0;
  const result = await runScript(
    client,
    FENCED_SET,
    [layout.dataKey(key), layout.fenceKey(key)],
    [value, generation, ttl, fenceRecordTtlMs(valueTtlMs, leaseMs)],
  );
  return Number(result) === 1;
}
