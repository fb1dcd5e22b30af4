import { fork } from 'node:child_process';
import { once } from 'node:events';
import { formatHz, type BenchTable } from './suite.js';

/**
 * Lock acquire+release pairs per second summed over `processes` children of `script`. Each child
 * is started as `script contender <location> <key> <ms>`, says it is ready, waits for 'go', takes
 * and releases the lock on `<key>` for `<ms>`, and answers `{ pairs }`. `sharedKey` makes every
 * child contend for one key; otherwise each has its own.
 */
export async function crossProcessPairs(script: string, location: string, processes: number, sharedKey: boolean, ms: number): Promise<number> {
  const children = Array.from({ length: processes }, (_, i) =>
    fork(script, ['contender', location, sharedKey ? 'contended' : `own-${i}`, String(ms)], { execArgv: ['--import', 'tsx'] }),
  );
  await Promise.all(children.map((child) => once(child, 'message')));
  const answers = children.map((child) => once(child, 'message') as Promise<[{ pairs: number }]>);
  for (const child of children) child.send('go');
  const pairs = (await Promise.all(answers)).reduce((sum, [answer]) => sum + answer.pairs, 0);
  return pairs / (ms / 1_000);
}

/**
 * Lock pairs per second across processes, as a table: 2 and 4 processes on one key, and 2
 * processes on a key each, `ms` per measurement, all over the store at `location`.
 */
export async function crossProcessLockTable(script: string, location: string, ms: number): Promise<BenchTable> {
  const contended2 = await crossProcessPairs(script, location, 2, true, ms);
  const contended4 = await crossProcessPairs(script, location, 4, true, ms);
  const ownKeys2 = await crossProcessPairs(script, location, 2, false, ms);
  const table: BenchTable = {
    title: 'Lock pairs across processes (acquireSync(true) + releaseSync loops, summed)',
    rows: [
      { name: '2 processes, one key', hz: contended2, rme: 0, samples: 1 },
      { name: '4 processes, one key', hz: contended4, rme: 0, samples: 1 },
      { name: '2 processes, a key each', hz: ownKeys2, rme: 0, samples: 1 },
    ],
  };
  for (const row of table.rows) console.log(`  ${row.name}: ${formatHz(row.hz)} pairs/s`);
  return table;
}

