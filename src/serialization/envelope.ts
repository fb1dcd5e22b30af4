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

// The creation time goes through one scratch float instead of a DataView per call: every cold
// read parses a header, and a DataView is an allocation.
const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);
const LITTLE_ENDIAN_PLATFORM = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const CREATED_AT_OFFSET = 4;

function writeFloat64LE(bytes: Uint8Array, offset: number, value: number): void {
  scratch[0] = value;
  for (let i = 0; i < 8; i++) bytes[offset + i] = scratchBytes[LITTLE_ENDIAN_PLATFORM ? i : 7 - i]!;
}

function readFloat64LE(bytes: Uint8Array, offset: number): number {
  for (let i = 0; i < 8; i++) scratchBytes[LITTLE_ENDIAN_PLATFORM ? i : 7 - i] = bytes[offset + i]!;
  return scratch[0]!;
}

export function writeHeader(bytes: Uint8Array, createdAt: number, flags = 0, version = VALUE_VERSION): void {
  bytes[0] = ENVELOPE_MAGIC;
  bytes[1] = version;
  bytes[2] = flags;
  bytes[3] = 0;
  writeFloat64LE(bytes, CREATED_AT_OFFSET, createdAt);
}

/** Whether the bytes start with an envelope header. */
export function isEnvelope(bytes: Uint8Array): boolean {
  return bytes.length >= HEADER_SIZE && bytes[0] === ENVELOPE_MAGIC;
}

/** The header, or `undefined` when the bytes are not an envelope at all. */
export function readHeader(bytes: Uint8Array): EnvelopeHeader | undefined {
  if (!isEnvelope(bytes)) return undefined;
  return { version: bytes[1]!, flags: bytes[2]!, createdAt: readFloat64LE(bytes, CREATED_AT_OFFSET) };
}

/** The format version byte of an envelope (check `isEnvelope` first). */
export function readVersion(bytes: Uint8Array): number {
  return bytes[1]!;
}

/** The creation time alone, or `NaN` for bytes that are not an envelope. */
export function readCreatedAt(bytes: Uint8Array): number {
  return isEnvelope(bytes) ? readFloat64LE(bytes, CREATED_AT_OFFSET) : Number.NaN;
}

export function envelopePayload(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(HEADER_SIZE);
}
