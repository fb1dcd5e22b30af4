import { createHash } from 'node:crypto';

/** memcached refuses longer keys (and memjs then loses the connection's pending requests). */
export const MAX_KEY_BYTES = 250;
/** Leaves room for a readable part and the hash in a hashed key: 128 + 64 + 41 < 250. */
export const MAX_PREFIX_BYTES = 128;
/** How many leading characters of an unsafe key stay readable in its hashed form. */
const READABLE_CHARS = 64;
/** Lock records live next to the values under this marker. */
export const LOCK_MARKER = 'dogpile-lock:';

/** Whitespace and control characters break memcached's text protocol and its tools; lone surrogates don't survive UTF-8. */
const UNSAFE_CHARACTER = /[\s\p{Cc}\p{Cs}]/u;
const LONE_SURROGATE = /\p{Cs}/u;
const NOT_PRINTABLE_ASCII = /[^\x21-\x7e]/g;
const HASH_SUFFIX_LENGTH = 41; // '#' + 40 hex digits
const HASHED_SUFFIX = /#[0-9a-f]{40}$/;
const HASH_MARK = 0x23; // '#'

/** Why a prefix cannot be used, or `undefined` when it is fine. */
export function prefixProblem(prefix: string): string | undefined {
  if (UNSAFE_CHARACTER.test(prefix)) return 'it contains whitespace or a control character';
  if (Buffer.byteLength(prefix) > MAX_PREFIX_BYTES) return `it is ${Buffer.byteLength(prefix)} bytes long`;
  return undefined;
}

/** True when a prefixed key can go to memcached as it is. */
function fitsAsIs(fullKey: string): boolean {
  // A UTF-16 code unit is at most 3 UTF-8 bytes, so short keys need no byte count.
  if (fullKey.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(fullKey) > MAX_KEY_BYTES) return false;
  return !UNSAFE_CHARACTER.test(fullKey);
}

/** True when `key` ends like a hashed key; such keys are hashed too, so a raw key never equals a hashed one. */
function looksHashed(key: string): boolean {
  return key.length >= HASH_SUFFIX_LENGTH && key.charCodeAt(key.length - HASH_SUFFIX_LENGTH) === HASH_MARK && HASHED_SUFFIX.test(key);
}

/**
 * Turns region keys into memcached keys. A key is sent as `prefix + key` when that is at most
 * 250 bytes of UTF-8 without whitespace or control characters; otherwise it becomes
 * `prefix + readable + '#' + sha1hex`, where `readable` is the key's first 64 characters with
 * anything but printable ASCII replaced by `_`. Lock records are `prefix + 'dogpile-lock:' + key`,
 * hashed by the same rule.
 *
 * No two different keys share a memcached key: raw keys never end in `#` + 40 hex digits and
 * never start with the lock marker (keys that do are hashed), and value and lock hashes cover
 * different inputs.
 */
export class MemcachedKeys {
  constructor(readonly prefix: string) {}

  valueKey(key: string): string {
    const full = this.prefix + key;
    if (fitsAsIs(full) && !looksHashed(key) && !key.startsWith(LOCK_MARKER)) return full;
    return this.hashed('v', key, key);
  }

  lockKey(key: string): string {
    const marked = LOCK_MARKER + key;
    const full = this.prefix + marked;
    if (fitsAsIs(full) && !looksHashed(marked)) return full;
    return this.hashed('l', key, marked);
  }

  private hashed(kind: 'v' | 'l', key: string, readableSource: string): string {
    const hash = createHash('sha1');
    // Strings with lone surrogates are not valid UTF-8; hash their code units so distinct keys stay distinct.
    if (!LONE_SURROGATE.test(key)) hash.update(`${kind}\0`).update(key, 'utf8');
    else hash.update(`${kind}16\0`).update(key, 'utf16le');
    const readable = readableSource.slice(0, READABLE_CHARS).replace(NOT_PRINTABLE_ASCII, '_');
    return `${this.prefix}${readable}#${hash.digest('hex')}`;
  }
}
