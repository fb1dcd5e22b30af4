// Hammers a shared table with random gets, sets, deletes and lock-guarded creations of
// checksummed values, and reports what it saw.
import { parentPort, workerData } from 'node:worker_threads';
import { SharedMemoryBackend, type SharedMemoryHandle } from '../../../../src/backends/shared-memory/index.js';
import { NO_VALUE, type CachedValue } from '../../../../src/values.js';
import { cached, countingCodec, isWhole, makeChecked } from '../support.js';

interface HammerData {
  handle: SharedMemoryHandle;
  writer: number;
  operations: number;
  keyCount: number;
  maxLength: number;
  start: Int32Array;
}

const { handle, writer, operations, keyCount, maxLength, start } = workerData as HammerData;
const backend = SharedMemoryBackend.attach(handle);
const codec = countingCodec();
backend.useCodec(codec);
const random = (n: number): number => Math.floor(Math.random() * n);
const keyOf = (n: number): string => (n % 3 === 0 ? `ключ-${n}` : `key-${n}`);

// Start together with the other workers, so their operations really overlap.
Atomics.wait(start, 0, 0);

const seen = { torn: 0, hits: 0, misses: 0, sets: 0, deletes: 0, creations: 0, lockTimeouts: 0 };
for (let op = 0; op < operations; op++) {
  const key = keyOf(random(keyCount));
  const dice = Math.random();
  if (dice < 0.5) {
    const value = backend.getSync(key);
    if (value === NO_VALUE) seen.misses++;
    else {
      seen.hits++;
      if (!isWhole((value as CachedValue).payload, key)) seen.torn++;
    }
  } else if (dice < 0.8) {
    backend.setSync(key, cached(makeChecked(key, writer, random(maxLength))));
    seen.sets++;
  } else if (dice < 0.9) {
    backend.deleteSync(key);
    seen.deletes++;
  } else {
    const mutex = backend.getMutex(key);
    if (!mutex.acquireSync(true, 5_000)) {
      seen.lockTimeouts++;
      continue;
    }
    try {
      const value = backend.getSync(key);
      if (value === NO_VALUE) {
        backend.setSync(key, cached(makeChecked(key, writer, random(maxLength))));
        seen.creations++;
      } else if (!isWhole((value as CachedValue).payload, key)) {
        seen.torn++;
      }
    } finally {
      mutex.releaseSync();
    }
  }
}
// Counted in the shared stats store, so the main thread can check the sum over all threads.
backend.statsStore.increment('hits', seen.hits);
backend.statsStore.increment('misses', seen.misses);
backend.statsStore.increment('creations', seen.creations);
parentPort!.postMessage({ ...seen, decodeFailures: codec.failures });
