import { Worker } from 'node:worker_threads';
import { envelopeCodec } from '../../../src/backends/shared-memory/codec.js';
import type { ValueCodec } from '../../../src/backends/api.js';
import { CachedValue, NO_VALUE, VALUE_VERSION, type NoValue } from '../../../src/values.js';

const running = new Set<Worker>();

/** Starts a worker script from `./workers/`; `stopWorkers()` terminates any still running. */
export function startWorker(script: string, workerData: unknown): Worker {
  // Workers written in TypeScript start through ts-worker-boot.mjs, which registers tsx in the worker.
  const worker = new Worker(new URL('../../support/ts-worker-boot.mjs', import.meta.url), {
    workerData: { ...(workerData as object), script: new URL(`./workers/${script}`, import.meta.url).href },
  });
  running.add(worker);
  worker.once('exit', () => running.delete(worker));
  return worker;
}

/** The first message the worker posts (its result); rejects on a worker error or an early exit. */
export function resultOf<T>(worker: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    worker.once('message', (message: T) => resolve(message));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited with code ${code} before answering`)));
  });
}

/** Waits for a message matching `predicate`; rejects if the worker fails first. */
export function messageFrom<T>(worker: Worker, predicate: (message: T) => boolean = () => true): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: T): void => {
      if (!predicate(message)) return;
      worker.off('message', onMessage);
      worker.off('error', onError);
      resolve(message);
    };
    const onError = (error: unknown): void => {
      worker.off('message', onMessage);
      reject(error);
    };
    worker.on('message', onMessage);
    worker.once('error', onError);
  });
}

export async function stopWorkers(): Promise<void> {
  await Promise.all([...running].map((worker) => worker.terminate()));
  running.clear();
}

export function cached<T>(payload: T, createdAt = Date.now()): CachedValue<T> {
  return new CachedValue(payload, { ct: createdAt, v: VALUE_VERSION });
}

/** A checksummed payload: a reader can tell a torn or misplaced value from a whole one. */
export interface Checked {
  key: string;
  writer: number;
  data: string;
  sum: number;
}

export function checksum(text: string): number {
  let sum = 0x12345;
  for (let i = 0; i < text.length; i++) sum = (Math.imul(sum, 31) + text.charCodeAt(i)) | 0;
  return sum;
}

export function makeChecked(key: string, writer: number, length: number): Checked {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let data = '';
  const seed = Math.floor(Math.random() * 1e9);
  for (let i = 0; i < length; i++) data += alphabet[(seed + i * 7) % alphabet.length];
  return { key, writer, data, sum: checksum(key + data) };
}

export function isWhole(value: unknown, key: string): boolean {
  const checked = value as Partial<Checked> | null;
  return checked !== null && typeof checked === 'object' && checked.key === key && typeof checked.data === 'string' && checked.sum === checksum(key + checked.data);
}

/** The envelope codec, counting every undecodable read (there must be none: bytes are never torn). */
export function countingCodec(): ValueCodec & { failures: number } {
  const codec = {
    failures: 0,
    encode: (value: CachedValue) => envelopeCodec.encode(value),
    decode(bytes: Uint8Array, key: string): CachedValue | NoValue {
      const value = envelopeCodec.decode(bytes, key);
      if (value === NO_VALUE) codec.failures++;
      return value;
    },
  };
  return codec;
}
