// Reading an entry file synchronously with as few system calls as possible: open, one read into a
// scratch buffer, close (`readFileSync` also `fstat`s to size its buffer). Entries bigger than the
// scratch buffer are finished with an `fstat`-sized read. Returns `undefined` for a missing file.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const SCRATCH_BYTES = 64 * 1024;
// One per thread: every read copies its bytes out before returning, so reads never share it.
const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

export function readEntrySync(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const first = readSync(fd, scratch, 0, SCRATCH_BYTES, 0);
    if (first < SCRATCH_BYTES) {
      const bytes = Buffer.allocUnsafe(first);
      scratch.copy(bytes, 0, 0, first);
      return bytes;
    }
    // A large entry: size it, then read the rest.
    const size = Math.max(fstatSync(fd).size, first);
    const bytes = Buffer.allocUnsafe(size);
    scratch.copy(bytes, 0, 0, first);
    let offset = first;
    while (offset < size) {
      const read = readSync(fd, bytes, offset, size - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return offset === size ? bytes : bytes.subarray(0, offset);
  } finally {
    closeSync(fd);
  }
}
