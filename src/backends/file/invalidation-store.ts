// The region-wide invalidation state as a small file (`invalidation`), replaced atomically on
// every write, so that `invalidate()` in any process reaches every region over the same
// directory. A look costs one `stat` per synchronous stretch; the file is re-read only when the
// stat shows another inode or modification time.
import { readFileSync, statSync } from 'node:fs';
import { StretchCachedInvalidationStore, decodeInvalidation } from '../local-store/invalidation-record.js';
import type { InvalidationState } from '../api.js';
import { writeAtomicSync } from './atomic-write.js';
import type { FileLayout } from './layout.js';

export class FileInvalidationStore extends StretchCachedInvalidationStore {
  private seenIno = -1;
  private seenMtimeMs = -1;

  constructor(private readonly layout: FileLayout) {
    super();
  }

  protected load(): InvalidationState | undefined {
    const stats = statSync(this.layout.invalidationPath, { throwIfNoEntry: false });
    if (stats === undefined) {
      this.seenIno = -1;
      return undefined;
    }
    if (stats.ino === this.seenIno && stats.mtimeMs === this.seenMtimeMs) return this.state;
    this.seenIno = stats.ino;
    this.seenMtimeMs = stats.mtimeMs;
    return decodeInvalidation(readBytes(this.layout.invalidationPath));
  }

  protected save(bytes: Buffer): void {
    writeAtomicSync(this.layout, this.layout.invalidationPath, bytes);
    // The next look reads the file again (and finds this write unless another came after it).
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
