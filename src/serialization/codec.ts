import { Packr } from 'msgpackr';

/** Turns a payload into bytes. */
export type Serializer = (payload: unknown) => Uint8Array;
/** Turns bytes back into a payload; may throw `CantDeserializeError` to make the read a miss. */
export type Deserializer = (bytes: Uint8Array) => unknown;

// Records off: entries are read by other threads, processes and hosts that never saw this
// encoder's record definitions. moreTypes keeps Set, Date, RegExp, Error, BigInt and typed
// arrays; a Map comes back as a plain object (msgpack has one map type, and plain objects are far
// more common in cached values).
const packr = new Packr({ useRecords: false, moreTypes: true, structuredClone: false });

export const msgpackSerializer: Serializer = (payload) => packr.pack(payload);
export const msgpackDeserializer: Deserializer = (bytes) => packr.unpack(bytes);
