import { createHash } from 'node:crypto';
import { ValidationError } from '../errors.js';
import { describe } from '../time.js';

/** Renders one argument into a cache key fragment. */
export type ToStr = (value: unknown) => string;
/** What a key generator knows about the function it makes keys for. */
export interface KeyTarget {
  readonly name: string;
}
/** Makes the key function for one decorated function: `(namespace, fn, toStr) => (...args) => key`. */
export type FunctionKeyGenerator = (namespace: string | undefined, fn: KeyTarget, toStr?: ToStr) => (...args: unknown[]) => string;
/** The multi variant: one key per argument. */
export type FunctionMultiKeyGenerator = (namespace: string | undefined, fn: KeyTarget, toStr?: ToStr) => (...args: unknown[]) => string[];
/** Turns a region key into the key the backend sees. */
export type KeyMangler = (key: string) => string;

function keyPrefix(namespace: string | undefined, fn: KeyTarget): string {
  const name = fn.name || 'anonymous';
  return namespace === undefined || namespace === null ? name : `${name}|${namespace}`;
}

/**
 * The default key generator: `name|namespace|arg1 arg2`, or `name|arg1 arg2` without a namespace.
 * `this` is never part of the key (it is not an argument); put instance state into a namespace
 * or a custom generator when instances must not share entries.
 */
export const functionKeyGenerator: FunctionKeyGenerator = (namespace, fn, toStr = stableToStr) => {
  const prefix = keyPrefix(namespace, fn);
  return (...args) => `${prefix}|${args.map(toStr).join(' ')}`;
};

/**
 * Like {@link functionKeyGenerator}, but a trailing plain-object argument (an options bag) becomes
 * `name=value` pairs sorted by name, so `f(1, { b: 2, a: 3 })` and `f(1, { a: 3, b: 2 })` share a key.
 */
export const kwargFunctionKeyGenerator: FunctionKeyGenerator = (namespace, fn, toStr = stableToStr) => {
  const prefix = keyPrefix(namespace, fn);
  return (...args) => {
    const last = args[args.length - 1];
    if (!isPlainObject(last)) return `${prefix}|${args.map(toStr).join(' ')}`;
    const positional = args.slice(0, -1).map(toStr);
    const named = Object.keys(last)
      .filter((name) => last[name] !== undefined)
      .sort()
      .map((name) => `${name}=${toStr(last[name])}`);
    return `${prefix}|${[...positional, ...named].join(' ')}`;
  };
};

/** One key per argument: `name|namespace|arg`. */
export const functionMultiKeyGenerator: FunctionMultiKeyGenerator = (namespace, fn, toStr = stableToStr) => {
  const prefix = keyPrefix(namespace, fn);
  return (...args) => args.map((arg) => `${prefix}|${toStr(arg)}`);
};

/** SHA-1 hex digest of the key's UTF-8 bytes; the same hex as Python's `hashlib.sha1`. */
export function sha1MangleKey(key: string | Uint8Array): string {
  return createHash('sha1').update(key).digest('hex');
}

/** Applies `mangler` only to keys at least `length` characters long. */
export function lengthConditionalMangler(length: number, mangler: KeyMangler): KeyMangler {
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
    throw new ValidationError(`lengthConditionalMangler: length must be a non-negative integer; got ${describe(length)}.`);
  }
  if (typeof mangler !== 'function') {
    throw new ValidationError(`lengthConditionalMangler: mangler must be a function such as sha1MangleKey; got ${describe(mangler)}.`);
  }
  return (key) => (key.length >= length ? mangler(key) : key);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A deterministic rendering of any value for keys: strings as they are at the top level (so
 * `f('1')` and `f(1)` share a key, as with dogpile.cache's `str`), nested strings quoted, numbers
 * and booleans by `String`, objects with their keys sorted (so `{a, b}` and `{b, a}` agree), Maps
 * and Sets sorted, Dates as ISO strings, typed arrays and ArrayBuffers by content, class instances
 * through `toJSON` or their own `toString` when they define one (URL, RegExp, boxed values) and by
 * class name plus own properties otherwise, cycles as `[Circular]`.
 */
export function stableToStr(value: unknown): string {
  return typeof value === 'string' ? value : render(value, new Set());
}

function render(value: unknown, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? '0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'symbol':
      return value.toString();
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`;
  }
  if (value === null) return 'null';
  const object = value as object;
  if (seen.has(object)) return '[Circular]';
  seen.add(object);
  try {
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
    if (Array.isArray(object)) return `[${object.map((item) => render(item, seen)).join(',')}]`;
    if (object instanceof Map) {
      const pairs = [...object].map(([k, v]) => `${render(k, seen)}:${render(v, seen)}`).sort();
      return `Map{${pairs.join(',')}}`;
    }
    if (object instanceof Set) return `Set[${[...object].map((item) => render(item, seen)).sort().join(',')}]`;
    if (ArrayBuffer.isView(object)) {
      return `${object.constructor.name}[${Array.from(new Uint8Array(object.buffer, object.byteOffset, object.byteLength)).join(',')}]`;
    }
    if (object instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && object instanceof SharedArrayBuffer)) {
      return `${object.constructor.name}[${Array.from(new Uint8Array(object)).join(',')}]`;
    }
    if (!isPlainObject(object)) {
      const described = describeInstance(object, seen);
      if (described !== undefined) return described;
    }
    const record = object as Record<string, unknown>;
    const body = Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${render(record[key], seen)}`)
      .join(',');
    const name = isPlainObject(object) ? '' : (object.constructor?.name ?? '');
    return `${name}{${body}}`;
  } finally {
    seen.delete(object);
  }
}

/**
 * A class instance whose state need not live in its own enumerable properties (URL, RegExp, boxed
 * primitives, classes with private fields) renders through `toJSON` or its own `toString` when it
 * has one — the way dogpile.cache keys arguments by `str()`. Otherwise `undefined`: render the
 * instance's own properties.
 */
function describeInstance(object: object, seen: Set<object>): string | undefined {
  const name = object.constructor?.name ?? 'Object';
  const { toJSON, toString } = object as { toJSON?: unknown; toString?: unknown };
  if (typeof toJSON === 'function') return `${name}(${render(toJSON.call(object), seen)})`;
  if (typeof toString === 'function' && toString !== Object.prototype.toString) return `${name}(${JSON.stringify(String(toString.call(object)))})`;
  return undefined;
}
