export { ENVELOPE_MAGIC, EnvelopeFlags, HEADER_SIZE, encodeEnvelope, envelopePayload, readCreatedAt, readHeader, writeHeader } from './envelope.js';
export type { EnvelopeHeader } from './envelope.js';
export { msgpackDeserializer, msgpackSerializer } from './codec.js';
export type { Deserializer, Serializer } from './codec.js';
