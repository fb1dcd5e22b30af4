// The region-wide invalidation state as the on-host stores keep it: 9 bytes, the timestamp
// (float64 LE, epoch ms) and 1 for hard or 0 for soft.
import type { InvalidationState, InvalidationStore } from '../api.js';

const SIZE = 9;

export function encodeInvalidation(state: InvalidationState): Buffer {
  const bytes = Buffer.alloc(SIZE);
  bytes.writeDoubleLE(state.at, 0);
  bytes[8] = state.hard ? 1 : 0;
  return bytes;
}

/** The state, or `undefined` for a missing or short record (the bytes are untrusted). */
export function decodeInvalidation(bytes: Uint8Array | undefined): InvalidationState | undefined {
  if (bytes === undefined || bytes.length < SIZE) return undefined;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return { at: view.readDoubleLE(0), hard: view[8] === 1 };
}

/**
 * An invalidation store whose record lives on disk. The region reads the state on every lookup,
 * often more than once, so one look at the record serves a whole synchronous stretch of code (it
 * is redone after the next microtask checkpoint); subclasses say how to look and how to write.
 */
export abstract class StretchCachedInvalidationStore implements InvalidationStore {
  protected state: InvalidationState | undefined;
  private checkedThisStretch = false;
  private readonly endStretch = (): void => {
    this.checkedThisStretch = false;
  };

  /** Reads the record again (or decides it has not changed). */
  protected abstract load(): InvalidationState | undefined;
  /** Writes the record. */
  protected abstract save(bytes: Buffer): void;

  read(): InvalidationState | undefined {
    if (this.checkedThisStretch) return this.state;
    this.checkedThisStretch = true;
    queueMicrotask(this.endStretch);
    this.state = this.load();
    return this.state;
  }

  /** Makes the next read look at the record again. */
  refresh(): void {
    this.checkedThisStretch = false;
  }

  write(state: InvalidationState): void {
    this.save(encodeInvalidation(state));
    this.state = state;
    this.checkedThisStretch = false;
  }
}
