import type { StoredValue, ValueCodec } from '../backends/api.js';
import { CantDeserializeError } from '../errors.js';
import { EnvelopeFlags, encodeEnvelope, envelopePayload, isEnvelope, readCreatedAt, readVersion } from '../serialization/envelope.js';
import { msgpackDeserializer, msgpackSerializer, type Deserializer, type Serializer } from '../serialization/codec.js';
import { CachedValue, NO_VALUE, VALUE_VERSION, type NoValue } from '../values.js';

/** Why a stored entry was treated as a miss instead of being returned. */
export type DecodeFailure = (key: string, error: unknown) => void;

/** Keys whose last decoded value a region keeps, for backends that share decoded values. */
const RECENTLY_DECODED_LIMIT = 1024;

interface Decoded {
  readonly bytes: Uint8Array;
  readonly value: CachedValue;
}

/**
 * Turns payloads into what the backend stores and back: `CachedValue` objects for backends that
 * keep objects, envelope bytes for backends that store bytes (or when the region has its own
 * serializer). Every read checks the format version; anything unreadable is a miss, reported.
 */
export class EntryCodec implements ValueCodec {
  private readonly serializer: Serializer;
  private readonly deserializer: Deserializer;
  private readonly flags: number;
  private readonly recent = new Map<string, Decoded>();

  /**
   * @param reuseDecoded Hand out the value decoded last time when a key's bytes have not changed,
   *   instead of decoding them again (callers then share that object, as they share values on the
   *   memory backend). Off for backends that promise a fresh copy per read.
   */
  constructor(
    readonly storesBytes: boolean,
    serializer: Serializer | undefined,
    deserializer: Deserializer | undefined,
    private readonly onFailure: DecodeFailure,
    private readonly reuseDecoded = false,
  ) {
    this.serializer = serializer ?? msgpackSerializer;
    this.deserializer = deserializer ?? msgpackDeserializer;
    this.flags = serializer ? EnvelopeFlags.customSerializer : 0;
  }

  /** What to hand the backend for a new value. */
  toStored(payload: unknown, createdAt: number): StoredValue {
    if (!this.storesBytes) return new CachedValue(payload, { ct: createdAt, v: VALUE_VERSION });
    return encodeEnvelope(createdAt, this.serializer(payload), this.flags);
  }

  /** What the backend returned, as a `CachedValue`, or `NO_VALUE` when it cannot be used. */
  fromStored(stored: StoredValue | NoValue, key: string): CachedValue | NoValue {
    // Checked by shape, not instanceof: this runs on every hit.
    const metadata = (stored as Partial<CachedValue>).metadata;
    if (metadata !== undefined) return metadata.v === VALUE_VERSION ? (stored as CachedValue) : NO_VALUE;
    if (stored === NO_VALUE) return NO_VALUE;
    if (stored instanceof Uint8Array) return this.reuseDecoded ? this.decodeOrReuse(stored, key) : this.decode(stored, key);
    this.onFailure(key, new CantDeserializeError(`Backend returned ${typeof stored} for key ${JSON.stringify(key)}; expected a CachedValue or bytes.`));
    return NO_VALUE;
  }

  /** Decoding costs far more than comparing bytes: a key whose bytes are unchanged is not decoded again. */
  private decodeOrReuse(bytes: Uint8Array, key: string): CachedValue | NoValue {
    const known = this.recent.get(key);
    if (known !== undefined && Buffer.compare(known.bytes, bytes) === 0) return known.value;
    const value = this.decode(bytes, key);
    if (value === NO_VALUE) {
      this.recent.delete(key);
      return value;
    }
    if (known === undefined && this.recent.size >= RECENTLY_DECODED_LIMIT) {
      this.recent.delete(this.recent.keys().next().value as string);
    }
    this.recent.set(key, { bytes, value: value as CachedValue });
    return value;
  }

  encode(value: CachedValue): Uint8Array {
    return encodeEnvelope(value.metadata.ct, this.serializer(value.payload), this.flags);
  }

  decode(bytes: Uint8Array, key: string): CachedValue | NoValue {
    if (!isEnvelope(bytes)) {
      this.onFailure(key, new CantDeserializeError(`Stored bytes for key ${JSON.stringify(key)} are not a dogpile-cache entry.`));
      return NO_VALUE;
    }
    if (readVersion(bytes) !== VALUE_VERSION) return NO_VALUE;
    try {
      return new CachedValue(this.deserializer(envelopePayload(bytes)), { ct: readCreatedAt(bytes), v: VALUE_VERSION });
    } catch (error) {
      this.onFailure(key, error);
      return NO_VALUE;
    }
  }
}
