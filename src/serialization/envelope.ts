import { VALUE_VERSION } from '../values.js';

/**
 * Stored entries are a fixed 12-byte header followed by the payload bytes:
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | 1 | magic `0xDC`, so foreign bytes are recognised before anything is decoded |
 * | 1 | 1 | value format version (`VALUE_VERSION`) |
 * | 2 | 1 | flags (`EnvelopeFlags`) |
 * | 3 | 1 | reserved, 0 |
 * | 4 | 8 | creation time, epoch milliseconds, float64 little-endian |
 *
 * Backends read freshness straight from the header (shared memory, LMDB) without decoding the
 * payload.
 */
export const ENVELOPE_MAGIC = 0xdc;
export const HEADER_SIZE = 12;

export const EnvelopeFlags = {
  /** The payload was written by a region's own serializer, not by the default msgpack codec. */
  customSerializer: 1,
} as const;

export interface EnvelopeHeader {
  readonly version: number;
  readonly flags: number;
  readonly createdAt: number;
}

export function encodeEnvelope(createdAt: number, payload: Uint8Array, flags = 0): Uint8Array {
  const bytes = new Uint8Array(HEADER_SIZE + payload.length);
  writeHeader(bytes, createdAt, flags);
  bytes.set(payload, HEADER_SIZE);
  return bytes;
}

export function writeHeader(bytes: Uint8Array, createdAt: number, flags = 0, version = VALUE_VERSION): void {
  bytes[0] = ENVELOPE_MAGIC;
  bytes[1] = version;
  bytes[2] = flags;
  bytes[3] = 0;
  new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE).setFloat64(4, createdAt, true);
}

/** The header, or `undefined` when the bytes are not an envelope at all. */
export function readHeader(bytes: Uint8Array): EnvelopeHeader | undefined {
  if (bytes.length < HEADER_SIZE || bytes[0] !== ENVELOPE_MAGIC) return undefined;
  return {
    version: bytes[1]!,
    flags: bytes[2]!,
    createdAt: new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE).getFloat64(4, true),
  };
}

/** The creation time alone, or `NaN` for bytes that are not an envelope. */
export function readCreatedAt(bytes: Uint8Array): number {
  if (bytes.length < HEADER_SIZE || bytes[0] !== ENVELOPE_MAGIC) return Number.NaN;
  return new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE).getFloat64(4, true);
}

export function envelopePayload(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(HEADER_SIZE);
}
