// The region-wide invalidation state as a small file (`invalidation`, 9 bytes: float64 LE
// timestamp, then 1 for hard or 0 for soft), replaced atomically on every write, so that
// `invalidate()` in any process reaches every region over the same directory.
//
// The region reads the state several times per lookup, so a read costs one `stat` at most once
// per synchronous stretch of code (the check is redone after the next microtask checkpoint), and
// the file is only re-read when the stat shows another inode or modification time.
import { readFileSync, statSync } from 'node:fs';
import type { InvalidationState, InvalidationStore } from '../api.js';
import { writeAtomicSync } from './atomic-write.js';
import type { FileLayout } from './layout.js';

const SIZE = 9;

export class FileInvalidationStore implements InvalidationStore {
  private state: InvalidationState | undefined;
  private seenIno = -1;
  private seenMtimeMs = -1;
  private checkedThisStretch = false;
  private readonly endStretch = (): void => {
    this.checkedThisStretch = false;
  };

  constructor(private readonly layout: FileLayout) {}

  read(): InvalidationState | undefined {
    if (this.checkedThisStretch) return this.state;
    this.checkedThisStretch = true;
    queueMicrotask(this.endStretch);
    const stats = statSync(this.layout.invalidationPath, { throwIfNoEntry: false });
    if (stats === undefined) {
      this.state = undefined;
      this.seenIno = -1;
      return undefined;
    }
    if (stats.ino !== this.seenIno || stats.mtimeMs !== this.seenMtimeMs) {
      this.seenIno = stats.ino;
      this.seenMtimeMs = stats.mtimeMs;
      this.state = decode(readBytes(this.layout.invalidationPath));
    }
    return this.state;
  }

  /** Makes the next read look at the file again. */
  refresh(): void {
    this.checkedThisStretch = false;
  }

  write(state: InvalidationState): void {
    const bytes = Buffer.alloc(SIZE);
    bytes.writeDoubleLE(state.at, 0);
    bytes[8] = state.hard ? 1 : 0;
    writeAtomicSync(this.layout, this.layout.invalidationPath, bytes);
    this.state = state;
    // The next read looks at the file again (and finds this write unless another came after it).
    this.checkedThisStretch = false;
    this.seenIno = -1;
  }
}

function readBytes(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function decode(bytes: Buffer | undefined): InvalidationState | undefined {
  if (bytes === undefined || bytes.length < SIZE) return undefined;
  return { at: bytes.readDoubleLE(0), hard: bytes[8] === 1 };
}
