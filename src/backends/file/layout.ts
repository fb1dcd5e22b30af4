// Where things live under the cache directory:
//
//   entries/<h0h1>/<sha256 of key>   one file per entry: the envelope bytes, nothing else
//   locks/<sha256 of key>.lock       creation lock record (36 bytes), created with O_EXCL
//   locks/<sha256 of key>.lock.guard short-lived guard for changing an existing lock file
//   tmp/                             files being written; renamed into place when complete
//   invalidation                     the region-wide invalidation state (9 bytes)
//
// File names are hashes, so any key (any length, any character) maps to a safe name, and the
// 256 entry subdirectories keep each directory small.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';

const PATH_CACHE_ENTRIES = 4096;
const PATH_CACHE_MAX_KEY_LENGTH = 256;

export class FileLayout {
  readonly root: string;
  readonly entriesDir: string;
  readonly locksDir: string;
  readonly tmpDir: string;
  readonly invalidationPath: string;
  private tempCounter = 0;
  private readonly pathCache = new Map<string, string>();
  private readonly tempPrefix: string;

  constructor(directory: string) {
    this.root = resolve(directory);
    this.entriesDir = join(this.root, 'entries');
    this.locksDir = join(this.root, 'locks');
    this.tmpDir = join(this.root, 'tmp');
    this.invalidationPath = join(this.root, 'invalidation');
    this.tempPrefix = join(this.tmpDir, `${process.pid}-${threadId}-${Math.random().toString(36).slice(2, 10)}-`);
  }

  /** Creates the fixed directories; entry subdirectories are made on first write. */
  create(): void {
    for (const dir of [this.entriesDir, this.locksDir, this.tmpDir]) mkdirSync(dir, { recursive: true });
  }

  static hash(key: string): string {
    return createHash('sha256').update(key, 'utf8').digest('hex');
  }

  /** Hashing costs more than a third of a hit, so recent keys' paths are remembered. */
  entryPath(key: string): string {
    const known = this.pathCache.get(key);
    if (known !== undefined) return known;
    const hash = FileLayout.hash(key);
    const path = join(this.entriesDir, hash.slice(0, 2), hash);
    if (key.length <= PATH_CACHE_MAX_KEY_LENGTH) {
      // Cleared when full: cheaper than tracking recency, and hot keys come straight back.
      if (this.pathCache.size >= PATH_CACHE_ENTRIES) this.pathCache.clear();
      this.pathCache.set(key, path);
    }
    return path;
  }

  lockPath(key: string): string {
    return join(this.locksDir, `${FileLayout.hash(key)}.lock`);
  }

  /** A name in `tmp/` no other writer (process, thread or call) uses. */
  tempPath(): string {
    return `${this.tempPrefix}${(this.tempCounter++).toString(36)}`;
  }
}
