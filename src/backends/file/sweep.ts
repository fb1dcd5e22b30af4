// Keeps the entry files within `maxEntries` / `maxBytes` and removes entries older than `maxAge`.
//
// Counting files means listing the directory, so writes do not count them: each process keeps
// the totals its last scan found plus what it wrote since, and scans (and sweeps) only when that
// estimate crosses a bound; the periodic sweep scans regardless. Between scans the store can
// therefore exceed a bound by what other processes wrote since this one last looked.
//
// A scan `stat`s every entry file: the modification time stands for the creation time (an entry
// file is written when its value is created; the read path still checks the envelope header) and
// the size is the entry's bytes. Removal re-checks that the file is the one scanned (same inode
// and time), so an entry rewritten in between usually survives; losing one to that race is a miss.
// The sweep also clears temp files left by crashed writers and lock files nobody holds.
import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendEvent } from '../api.js';
import { isOverBounds, planSweep, type ProcessLocks, type StalenessPolicy, type SweepBounds, type SweepCandidate, type SweepReason } from '../local-store/index.js';
import type { FileLayout } from './layout.js';
import type { FileLockStore } from './lock-store.js';

/** The lock that lets one process at a time sweep (region keys' locks are all `k:`-prefixed). */
export const SWEEP_LOCK_KEY = 's:sweep';
/** Temp files older than this were left by a writer that died before renaming them. */
const TEMP_FILE_MAX_AGE_MS = 60_000;

interface ScannedFile {
  readonly path: string;
  readonly ino: number;
  readonly mtimeMs: number;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export class FileSweeper {
  /** Totals seen by the last scan plus this process's writes since; unknown before the first. */
  private estimatedEntries = Number.NaN;
  private estimatedBytes = Number.NaN;

  constructor(
    private readonly layout: FileLayout,
    private readonly locks: ProcessLocks,
    private readonly lockStore: FileLockStore,
    private readonly policy: StalenessPolicy,
    private readonly bounds: () => SweepBounds,
    private readonly report: (event: BackendEvent) => void,
  ) {}

  noteWrite(bytes: number): void {
    this.estimatedEntries += 1;
    this.estimatedBytes += bytes;
  }

  /** After writes: sweep when the estimate is over a bound (or unknown). Periodically: always. */
  check(reason: SweepReason): number {
    if (reason === 'writes' && !Number.isNaN(this.estimatedEntries) && !isOverBounds(this.estimatedEntries, this.estimatedBytes, this.bounds())) {
      return 0;
    }
    return this.sweep();
  }

  /** Scans and removes; does nothing when another process is sweeping right now. */
  sweep(): number {
    const mutex = this.locks.mutex(SWEEP_LOCK_KEY);
    if (!mutex.acquireSync(false)) return 0;
    try {
      const bounds = this.bounds();
      const { candidates, bytes } = this.scan();
      const plan = planSweep(candidates, bytes, bounds, Date.now());
      let removed = 0;
      let removedBytes = 0;
      for (const file of [...plan.expired, ...plan.evicted]) {
        const size = this.removeIfUnchanged(file);
        if (size >= 0) {
          removed++;
          removedBytes += size;
        }
      }
      this.estimatedEntries = candidates.length - removed;
      this.estimatedBytes = bytes - removedBytes;
      this.clearTempFiles();
      this.lockStore.sweepStale(this.policy);
      if (removed > 0) this.report({ type: 'eviction', count: removed });
      return removed;
    } finally {
      mutex.releaseSync();
    }
  }

  private scan(): { candidates: Array<SweepCandidate<ScannedFile>>; bytes: number } {
    const candidates: Array<SweepCandidate<ScannedFile>> = [];
    let bytes = 0;
    for (const sub of listDir(this.layout.entriesDir)) {
      const dir = join(this.layout.entriesDir, sub);
      for (const name of listDir(dir)) {
        const path = join(dir, name);
        const stats = statSync(path, { throwIfNoEntry: false });
        if (stats === undefined || !stats.isFile()) continue;
        bytes += stats.size;
        candidates.push({ key: { path, ino: stats.ino, mtimeMs: stats.mtimeMs }, createdAt: stats.mtimeMs, bytes: stats.size });
      }
    }
    return { candidates, bytes };
  }

  /** The removed file's size, or -1 when it was gone or had been rewritten since the scan. */
  private removeIfUnchanged(file: ScannedFile): number {
    const stats = statSync(file.path, { throwIfNoEntry: false });
    if (stats === undefined || stats.ino !== file.ino || stats.mtimeMs !== file.mtimeMs) return -1;
    try {
      unlinkSync(file.path);
      return stats.size;
    } catch {
      return -1;
    }
  }

  private clearTempFiles(): void {
    const before = Date.now() - TEMP_FILE_MAX_AGE_MS;
    for (const name of listDir(this.layout.tmpDir)) {
      const path = join(this.layout.tmpDir, name);
      const stats = statSync(path, { throwIfNoEntry: false });
      if (stats !== undefined && stats.mtimeMs < before) {
        try {
          unlinkSync(path);
        } catch {
          // Renamed into place or removed by another sweeper meanwhile.
        }
      }
    }
  }
}
