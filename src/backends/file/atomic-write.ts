// Writes that readers see whole or not at all: the bytes go to a temp file in the same file
// system, then `rename` swaps it in, which POSIX makes atomic. No fsync: a cache needs no
// durability across power loss.
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FileLayout } from './layout.js';

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}

export function writeAtomicSync(layout: FileLayout, path: string, bytes: Uint8Array): void {
  const temp = layout.tempPath();
  try {
    writeFileSync(temp, bytes);
  } catch (error) {
    if (!isMissing(error)) throw error;
    // Someone removed tmp/ (a cleanup of the cache directory): make it again.
    mkdirSync(layout.tmpDir, { recursive: true });
    writeFileSync(temp, bytes);
  }
  try {
    renameSync(temp, path);
  } catch (error) {
    if (!isMissing(error)) {
      unlinkQuietly(temp);
      throw error;
    }
    // The entry's subdirectory is made on first use.
    mkdirSync(dirname(path), { recursive: true });
    renameSync(temp, path);
  }
}

export async function writeAtomic(layout: FileLayout, path: string, bytes: Uint8Array): Promise<void> {
  const temp = layout.tempPath();
  try {
    await writeFile(temp, bytes);
  } catch (error) {
    if (!isMissing(error)) throw error;
    await mkdir(layout.tmpDir, { recursive: true });
    await writeFile(temp, bytes);
  }
  try {
    await rename(temp, path);
  } catch (error) {
    if (!isMissing(error)) {
      await unlink(temp).catch(() => {});
      throw error;
    }
    await mkdir(dirname(path), { recursive: true });
    await rename(temp, path);
  }
}

export function unlinkQuietly(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}
