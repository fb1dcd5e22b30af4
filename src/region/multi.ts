import type { CacheMutex, StoredValue } from '../backends/api.js';
import { Deferred, joinWithin } from '../lock/index.js';
import { describe, now } from '../time.js';
import { timedOut, type CreationHost } from './creation.js';
import { isFresh, judge } from './freshness.js';
import type { GetOrCreateMultiOptions } from './options.js';
import type { CachedValue } from '../values.js';

/** A key as the caller gave it and as the backend sees it. */
export interface KeyPair {
  readonly key: string;
  readonly mangled: string;
}

/**
 * `getOrCreateMulti` for de-duplicated keys in sorted order (so two callers take their locks in
 * the same order). Fresh values are served; stale ones are served unless this caller wins their
 * lock; missing ones are waited for (bounded) and read again, so a waiter never creates what the
 * holder just stored. One creator call makes everything left; it joins this thread's single
 * flight, so concurrent `getOrCreate` calls for those keys wait for it too.
 */
export async function getOrCreateMany<T>(
  host: CreationHost,
  pairs: readonly KeyPair[],
  creator: (keys: string[]) => T[] | Promise<T[]>,
  options: GetOrCreateMultiOptions<T> | undefined,
  expirationMs: number,
): Promise<Map<string, T>> {
  const { store, counters, invalidator, flights } = host;
  const policy = host.policyFor(options);
  const entries = await store.readMany(pairs.map(({ mangled }) => mangled));
  const values = new Map<string, T>();
  const held: Array<{ mutex: CacheMutex; mangled: string }> = [];
  const toCreate: KeyPair[] = [];
  const pending = new Map<string, Deferred<T>>();
  try {
    for (const [index, pair] of pairs.entries()) {
      const entry = entries[index]!;
      if (isFresh(entry, expirationMs, invalidator)) {
        counters.increment('hits');
        values.set(pair.key, (entry as CachedValue<T>).payload);
        continue;
      }
      const first = judge<T>(entry, expirationMs, invalidator);
      const inflight = flights.get<T>(pair.mangled);
      if (first.state === 'stale' && inflight !== undefined) {
        counters.increment('staleServed');
        values.set(pair.key, first.value);
        continue;
      }
      if (first.state === 'missing') counters.increment('misses');
      if (inflight !== undefined) {
        counters.increment('lockWaits');
        const outcome = await joinWithin(inflight, policy.lockTimeoutMs);
        if (outcome.settled === 'value') {
          values.set(pair.key, outcome.value);
          continue;
        }
        if (outcome.settled === 'timeout') timedOut(host, pair.key, policy);
      }
      const mutex = host.mutexFor(pair.mangled);
      if (first.state === 'stale') {
        if (await store.guard('lock', pair.mangled, () => mutex.acquire(false, policy.lockTimeoutMs), true)) {
          held.push({ mutex, mangled: pair.mangled });
          toCreate.push(pair);
        } else {
          counters.increment('staleServed');
          values.set(pair.key, first.value);
        }
        continue;
      }
      if (!(await store.guard('lock', pair.mangled, () => mutex.acquire(true, policy.lockTimeoutMs), true))) {
        timedOut(host, pair.key, policy);
        toCreate.push(pair);
        continue;
      }
      const again = judge<T>(await store.read(pair.mangled), expirationMs, invalidator);
      if (again.state === 'fresh') {
        counters.increment('lockWaits');
        await store.guard('unlock', pair.mangled, () => mutex.release(), undefined);
        values.set(pair.key, again.value);
      } else {
        held.push({ mutex, mangled: pair.mangled });
        toCreate.push(pair);
      }
    }
    if (toCreate.length > 0) {
      for (const { mangled } of toCreate) {
        if (flights.has(mangled)) continue;
        const deferred = new Deferred<T>();
        pending.set(mangled, deferred);
        flights.track(mangled, deferred.promise);
      }
      await createAll(host, toCreate, creator, options, values);
      for (const { key, mangled } of toCreate) pending.get(mangled)?.resolve(values.get(key) as T);
    }
  } catch (error) {
    for (const deferred of pending.values()) deferred.reject(error);
    throw error;
  } finally {
    await Promise.all(held.map(({ mutex, mangled }) => store.guard('unlock', mangled, () => mutex.release(), undefined)));
  }
  return values;
}

async function createAll<T>(
  host: CreationHost,
  toCreate: readonly KeyPair[],
  creator: (keys: string[]) => T[] | Promise<T[]>,
  options: GetOrCreateMultiOptions<T> | undefined,
  values: Map<string, T>,
): Promise<void> {
  const { counters, store } = host;
  const requested = toCreate.map(({ key }) => key);
  let created: T[];
  try {
    created = await creator(requested);
  } catch (error) {
    counters.increment('creatorErrors');
    throw error;
  }
  if (!Array.isArray(created) || created.length !== requested.length) {
    counters.increment('creatorErrors');
    throw new TypeError(
      `getOrCreateMulti: the creator must return an array with one value per requested key (${requested.length}: ${requested.join(', ')}); got ${describe(created)}.`,
    );
  }
  counters.increment('creations', created.length);
  const createdAt = now();
  const toStore: Array<readonly [string, StoredValue]> = [];
  toCreate.forEach(({ key, mangled }, index) => {
    const value = created[index] as T;
    values.set(key, value);
    if (options?.shouldCacheFn === undefined || options.shouldCacheFn(value)) toStore.push([mangled, store.encode(value, createdAt)]);
  });
  await store.writeMany(toStore);
}
