export { ENVELOPE_MAGIC, EnvelopeFlags, HEADER_SIZE, encodeEnvelope, envelopePayload, isEnvelope, readCreatedAt, readHeader, readVersion, writeHeader } from './envelope.js';
export type { EnvelopeHeader } from './envelope.js';
export { msgpackDeserializer, msgpackSerializer } from './codec.js';
export type { Deserializer, Serializer } from './codec.js';
