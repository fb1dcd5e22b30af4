// Temp directories for lmdb environments, removed after the run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/** A fresh directory under the OS temp dir; `removeTempDirs()` deletes every one made so far. */
export function freshDir(label = 'lmdb'): string {
  const dir = mkdtempSync(join(tmpdir(), `dogpile-${label}-`));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
