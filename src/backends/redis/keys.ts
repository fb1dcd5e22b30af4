// Where a region key lives in Redis: its value, its lock and its fencing record.
//
// Standalone and sentinel:  value `<prefix><key>`, lock `<prefix><lockPrefix>:<key>`,
//                           fencing record `<prefix><lockPrefix>#<key>`; one invalidation
//                           record `<prefix><lockPrefix>!invalidation` per prefix.
// Cluster: the same with a hash tag `{tag}` in front of `<key>`, so that the three keys of one
// region key hash to one slot (the Lua scripts touch two of them at once). The tag is the key's
// own hash tag when it has one (so users can still co-locate keys), else a short hash of the key.
// The lock and fencing names differ right after `<lockPrefix>` (`:` vs `#`), so no key's lock can
// ever be another key's fencing record.

/** Names the Redis keys of region keys. */
export interface KeyLayout {
  dataKey(key: string): string;
  lockKey(key: string): string;
  fenceKey(key: string): string;
  /** The pub/sub channel on which releases of this backend's locks are announced. */
  readonly releaseChannel: string;
  /** Where the region-wide invalidation state is kept, and the channel announcing changes to it. */
  readonly invalidationKey: string;
  readonly invalidationChannel: string;
  /**
   * Indexes of `keys` grouped so that each group may go into one multi-key command (MGET, DEL):
   * one group for standalone Redis, one group per hash slot on a cluster.
   */
  groupForMultiKey(keys: readonly string[]): number[][];
}

/** The names every layout shares; a layout only says what goes between a name's start and the key. */
abstract class BaseKeyLayout implements KeyLayout {
  readonly releaseChannel: string;
  readonly invalidationKey: string;
  readonly invalidationChannel: string;
  private readonly lockStart: string;
  private readonly fenceStart: string;

  constructor(
    private readonly prefix: string,
    lockPrefix: string,
  ) {
    this.lockStart = `${prefix}${lockPrefix}:`;
    this.fenceStart = `${prefix}${lockPrefix}#`;
    this.releaseChannel = `${prefix}${lockPrefix}!released`;
    this.invalidationKey = `${prefix}${lockPrefix}!invalidation`;
    this.invalidationChannel = `${prefix}${lockPrefix}!invalidated`;
  }

  /** The key as it follows each name's start: as it is, or behind its hash tag. */
  protected abstract tagged(key: string): string;
  abstract groupForMultiKey(keys: readonly string[]): number[][];

  dataKey(key: string): string {
    return this.prefix + this.tagged(key);
  }

  lockKey(key: string): string {
    return this.lockStart + this.tagged(key);
  }

  fenceKey(key: string): string {
    return this.fenceStart + this.tagged(key);
  }
}

export class PlainKeyLayout extends BaseKeyLayout {
  protected tagged(key: string): string {
    return key;
  }

  groupForMultiKey(keys: readonly string[]): number[][] {
    return [keys.map((_, index) => index)];
  }
}

/** `prefix` must not contain `{` or `}` (checked by the cluster backend's options). */
export class HashTaggedKeyLayout extends BaseKeyLayout {
  protected tagged(key: string): string {
    return `{${hashTagOf(key)}}${key}`;
  }

  groupForMultiKey(keys: readonly string[]): number[][] {
    const bySlot = new Map<number, number[]>();
    keys.forEach((key, index) => {
      const slot = hashSlot(hashTagOf(key));
      const group = bySlot.get(slot);
      if (group) group.push(index);
      else bySlot.set(slot, [index]);
    });
    return [...bySlot.values()];
  }
}

/**
 * The tag that decides a key's slot: the key's own Redis hash tag (text between the first `{` and
 * the next `}`, when not empty), else 8 hex digits of FNV-1a of the key. Never empty and never
 * contains `}`, so `{tag}` is always a valid hash tag.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return key.slice(open + 1, close);
  }
  return fnv1a(key);
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[byte] = crc & 0xffff;
  }
  return table;
})();

/** Redis Cluster's slot of a hash tag: CRC16-XMODEM of its UTF-8 bytes, modulo 16384. */
export function hashSlot(tag: string): number {
  const bytes = Buffer.from(tag, 'utf8');
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc & 0x3fff;
}
