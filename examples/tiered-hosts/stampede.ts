// What every thread of every process does: wait for the common start, then ask for one report
// from many concurrent callers. The report takes 300 ms to build; creator calls are counted in
// memory shared by the threads of the process.
import { threadId } from 'node:worker_threads';
import type { CacheRegion } from '../../src/index.js';

export interface Stampede {
  readonly startAt: number;
  readonly callers: number;
  /** [0]: creator calls of this process, all threads. */
  readonly creatorCalls: Int32Array;
}

export async function stampede(region: CacheRegion, { startAt, callers, creatorCalls }: Stampede): Promise<string[]> {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
  return Promise.all(
    Array.from({ length: callers }, () =>
      region.getOrCreate('daily-report', async () => {
        Atomics.add(creatorCalls, 0, 1);
        await new Promise((resolve) => setTimeout(resolve, 300));
        return `built by process ${process.pid}, thread ${threadId}`;
      }),
    ),
  ) as Promise<string[]>;
}
