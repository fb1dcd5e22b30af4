/**
 * Key hashing and the stored form of keys. Keys are hashed over their UTF-16 code units, so the
 * hash needs no encoding step. A key whose characters are all below U+0100 is stored as one byte
 * per character; any other key as its UTF-16 code units. Either way a stored key is compared with
 * a string code unit by code unit, without building a string.
 */

/** FNV-1a over the code units, then the MurmurHash3 finalizer so the low bits (bucket index) mix well. */
export function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash | 0;
}

/** True when every code unit fits in one byte, so the key can be stored narrow. */
export function isNarrowKey(key: string): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0xff) return false;
  return true;
}

export function storedKeyBytes(key: string, narrow: boolean): number {
  return narrow ? key.length : key.length * 2;
}

/** Writes the key at `byteOffset` (even, so wide keys are 2-byte aligned). */
export function writeKey(bytes: Uint8Array, chars: Uint16Array, byteOffset: number, key: string, narrow: boolean): void {
  if (narrow) {
    for (let i = 0; i < key.length; i++) bytes[byteOffset + i] = key.charCodeAt(i);
  } else {
    const start = byteOffset >>> 1;
    for (let i = 0; i < key.length; i++) chars[start + i] = key.charCodeAt(i);
  }
}

/**
 * Compares a stored key with `key`. Safe on bytes that are being rewritten: out-of-range reads give
 * `undefined`, which never equals a code unit, and the caller validates the result with the seqlock.
 */
export function storedKeyEquals(bytes: Uint8Array, chars: Uint16Array, byteOffset: number, wide: boolean, key: string): boolean {
  if (wide) {
    const start = byteOffset >>> 1;
    for (let i = 0; i < key.length; i++) if (chars[start + i] !== key.charCodeAt(i)) return false;
  } else {
    for (let i = 0; i < key.length; i++) if (bytes[byteOffset + i] !== key.charCodeAt(i)) return false;
  }
  return true;
}
