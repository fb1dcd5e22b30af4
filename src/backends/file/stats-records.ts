// Every writer's statistics as one small file under `stats/`, replaced atomically. Retiring the
// records of exited processes happens under a lock shared by every process (a retired record is
// read, added to and replaced): a process that finds it held leaves the retiring for later.
import { mkdirSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessMutex, StatsRecords } from '../local-store/index.js';
import { RETIRED_WRITER } from '../local-store/index.js';
import { writeAtomicSync } from './atomic-write.js';
import type { FileLayout } from './layout.js';

/** The lock under which records are retired; `s:` keys never collide with a region key's lock. */
export const STATS_LOCK_KEY = 's:stats';

export class FileStatsRecords implements StatsRecords {
  private readonly dir: string;

  constructor(
    private readonly layout: FileLayout,
    private readonly retireLock: () => ProcessMutex,
  ) {
    this.dir = join(layout.root, 'stats');
  }

  write(writer: string, record: Uint8Array): void {
    mkdirSync(this.dir, { recursive: true });
    writeAtomicSync(this.layout, join(this.dir, writer), record);
  }

  *readAll(): Iterable<readonly [string, Uint8Array]> {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const record = this.read(name);
      if (record !== undefined) yield [name, record];
    }
  }

  retire(writers: readonly string[], merge: (retired: Uint8Array | undefined, records: readonly Uint8Array[]) => Uint8Array): void {
    const lock = this.retireLock();
    if (!lock.acquireSync(false)) return;
    try {
      const present = writers.flatMap((writer) => {
        const record = this.read(writer);
        return record === undefined ? [] : [{ writer, record }];
      });
      if (present.length === 0) return;
      this.write(RETIRED_WRITER, merge(this.read(RETIRED_WRITER), present.map(({ record }) => record)));
      // A crash right here would count these records twice; the window is two unlink calls wide.
      for (const { writer } of present) unlinkQuietly(join(this.dir, writer));
    } finally {
      lock.releaseSync();
    }
  }

  private read(name: string): Uint8Array | undefined {
    try {
      return readFileSync(join(this.dir, name));
    } catch {
      return undefined; // replaced or removed while we looked: the next snapshot sees it
    }
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
