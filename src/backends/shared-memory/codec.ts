import { ENVELOPE_MAGIC, HEADER_SIZE, encodeEnvelope, msgpackDeserializer, msgpackSerializer } from '../../serialization/index.js';
import { CachedValue, NO_VALUE, VALUE_VERSION, type NoValue } from '../../values.js';
import type { ValueCodec } from '../api.js';

// The creation time is a little-endian float64 at byte 4 of the envelope, not 8-byte aligned:
// it is read through this scratch pair instead of a DataView made per read.
const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function createdAtOf(bytes: Uint8Array): number {
  for (let i = 0; i < 8; i++) scratchBytes[littleEndian ? i : 7 - i] = bytes[4 + i]!;
  return scratch[0]!;
}

/**
 * The codec used until a region hands over its own (`useCodec`), so the backend also works on its
 * own: the storage envelope around a msgpack payload. Undecodable bytes are a miss.
 */
export const envelopeCodec: ValueCodec = {
  encode(value: CachedValue): Uint8Array {
    return encodeEnvelope(value.metadata.ct, msgpackSerializer(value.payload));
  },
  decode(bytes: Uint8Array): CachedValue | NoValue {
    if (bytes.length < HEADER_SIZE || bytes[0] !== ENVELOPE_MAGIC || bytes[1] !== VALUE_VERSION) return NO_VALUE;
    try {
      return new CachedValue(msgpackDeserializer(bytes.subarray(HEADER_SIZE)), { ct: createdAtOf(bytes), v: VALUE_VERSION });
    } catch {
      return NO_VALUE;
    }
  },
};
