import { fork } from 'node:child_process';
import { once } from 'node:events';

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
