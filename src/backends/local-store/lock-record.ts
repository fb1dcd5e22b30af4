// The record that says who holds a key's creation lock on this host: the owner's process id and
// thread id, a random token that only the owner knows, and the lease deadline. The lmdb backend
// keeps it as the value of a lock-database entry; the file backend as the content of a lock file.
// Both use these same 36 bytes, so a record can be read without knowing which store wrote it.
import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';

export interface LockRecord {
  readonly pid: number;
  readonly threadId: number;
  /** 32 hex characters; a release or renewal only touches a record with its own token. */
  readonly token: string;
  /** Epoch milliseconds after which anyone may take the lock over. */
  readonly leaseUntil: number;
}

/**
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | 1 | magic `0xD1` |
 * | 1 | 1 | format version `1` |
 * | 2 | 2 | reserved, 0 |
 * | 4 | 4 | pid, uint32 LE |
 * | 8 | 4 | thread id, uint32 LE |
 * | 12 | 8 | lease deadline, float64 LE epoch ms |
 * | 20 | 16 | token |
 */
export const LOCK_RECORD_SIZE = 36;
const MAGIC = 0xd1;
const FORMAT = 1;
const TOKEN_BYTES = 16;

export function newLockToken(): string {
  return randomBytes(TOKEN_BYTES).toString('hex');
}

/** A record for the calling thread of this process. */
export function ownRecord(token: string, leaseUntil: number): LockRecord {
  return { pid: process.pid, threadId, token, leaseUntil };
}

export function encodeLockRecord(record: LockRecord): Buffer {
  const bytes = Buffer.alloc(LOCK_RECORD_SIZE);
  bytes[0] = MAGIC;
  bytes[1] = FORMAT;
  bytes.writeUInt32LE(record.pid >>> 0, 4);
  bytes.writeUInt32LE(record.threadId >>> 0, 8);
  bytes.writeDoubleLE(record.leaseUntil, 12);
  bytes.write(record.token, 20, TOKEN_BYTES, 'hex');
  return bytes;
}

/** The record, or `undefined` for bytes that are not one (empty, cut short, foreign). */
export function decodeLockRecord(bytes: Uint8Array | undefined): LockRecord | undefined {
  if (bytes === undefined || bytes.length < LOCK_RECORD_SIZE || bytes[0] !== MAGIC || bytes[1] !== FORMAT) return undefined;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, LOCK_RECORD_SIZE);
  return {
    pid: view.readUInt32LE(4),
    threadId: view.readUInt32LE(8),
    leaseUntil: view.readDoubleLE(12),
    token: view.toString('hex', 20, 20 + TOKEN_BYTES),
  };
}

/** Human-readable owner, for events and errors. */
export function describeOwner(record: LockRecord): string {
  return `pid ${record.pid}, thread ${record.threadId}`;
}
