import { now } from './time.js';

/**
 * The "nothing here" marker: returned for a key that is missing, expired, invalidated or
 * undecodable. It is distinct from a cached `undefined` or `null`, which are real values.
 */
export interface NoValue {
  readonly noValue: true;
}

export const NO_VALUE: NoValue = Object.freeze({
  noValue: true as const,
  toString: () => 'NoValue.NO_VALUE',
  toJSON: () => 'NoValue.NO_VALUE',
  [Symbol.for('nodejs.util.inspect.custom')]: () => '<NO_VALUE>',
}) as NoValue;

export function isNoValue(value: unknown): value is NoValue {
  return value === NO_VALUE;
}

/** The metadata stored with each value: `ct` is the creation time (epoch ms), `v` the format version. */
export interface ValueMetadata {
  readonly ct: number;
  readonly v: number;
}

/** Version of the stored value format; a stored value with another version is a miss. */
export const VALUE_VERSION = 2;

/** A cached value with its metadata, as stored by backends that do not serialize. */
export class CachedValue<T = unknown> {
  #settled: Promise<T> | undefined = undefined;

  constructor(
    readonly payload: T,
    readonly metadata: ValueMetadata,
  ) {}

  /**
   * The payload as an already-settled promise, made once per cached value: every async hit on
   * a value kept in memory hands out the same promise instead of allocating a new one.
   */
  settled(): Promise<T> {
    return (this.#settled ??= Promise.resolve(this.payload));
  }

  /** When the value was created, in epoch milliseconds. */
  get cachedTime(): number {
    return this.metadata.ct;
  }

  /** Milliseconds since the value was created. */
  get age(): number {
    return now() - this.metadata.ct;
  }
}
