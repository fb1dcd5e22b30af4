import { encodeEnvelope, envelopePayload, isEnvelope, msgpackDeserializer, msgpackSerializer, readCreatedAt, readVersion } from '../../serialization/index.js';
import { CachedValue, NO_VALUE, VALUE_VERSION, type NoValue } from '../../values.js';
import type { ValueCodec } from '../api.js';

/**
 * The codec used until a region hands over its own (`useCodec`), so the backend also works on its
 * own: the storage envelope around a msgpack payload. Undecodable bytes are a miss.
 */
export const envelopeCodec: ValueCodec = {
  encode(value: CachedValue): Uint8Array {
    return encodeEnvelope(value.metadata.ct, msgpackSerializer(value.payload));
  },
  decode(bytes: Uint8Array): CachedValue | NoValue {
    if (!isEnvelope(bytes) || readVersion(bytes) !== VALUE_VERSION) return NO_VALUE;
    try {
      return new CachedValue(msgpackDeserializer(envelopePayload(bytes)), { ct: readCreatedAt(bytes), v: VALUE_VERSION });
    } catch {
      return NO_VALUE;
    }
  },
};
