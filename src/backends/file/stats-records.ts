// Every writer's statistics as one small file under `stats/`, replaced atomically.
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StatsRecords } from '../local-store/index.js';
import { writeAtomicSync } from './atomic-write.js';
import type { FileLayout } from './layout.js';

export class FileStatsRecords implements StatsRecords {
  private readonly dir: string;

  constructor(private readonly layout: FileLayout) {
    this.dir = join(layout.root, 'stats');
  }

  write(writer: string, record: Uint8Array): void {
    mkdirSync(this.dir, { recursive: true });
    writeAtomicSync(this.layout, join(this.dir, writer), record);
  }

  *readAll(): Iterable<Uint8Array> {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      try {
        yield readFileSync(join(this.dir, name));
      } catch {
        // Replaced or removed while we looked: the next snapshot sees it.
      }
    }
  }
}
