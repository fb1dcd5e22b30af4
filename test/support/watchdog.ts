// A test that blocks its thread (a synchronous wait gone wrong, a native call that never returns)
// cannot be stopped by mocha's per-test timeout, which runs on that same thread. A second thread
// can: it ends the whole run, naming the test that was running, once the run outlasts its budget.
import { Worker } from 'node:worker_threads';

const RUN_BUDGET_MS = Number(process.env.DOGPILE_TEST_BUDGET_MS ?? 20 * 60_000);

const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const current = new Int32Array(workerData.current);
const names = workerData.names;
setTimeout(() => {
  const length = Atomics.load(current, 0);
  const name = Buffer.from(new Uint8Array(names, 0, length)).toString('utf8');
  // Straight to the file descriptor: a worker's process.stderr goes through the blocked main thread.
  writeSync(2, '\\nThe test run outlasted its budget of ' + workerData.budgetMs + ' ms; it was running: ' + (name || '(between tests)') + '\\n');
  process.kill(process.pid, 'SIGKILL');
}, workerData.budgetMs);
`;

const current = new SharedArrayBuffer(4);
const names = new SharedArrayBuffer(4096);
let watchdog: Worker | undefined;

/** Starts the watchdog thread; it never keeps the process alive. */
export function startWatchdog(): void {
  if (watchdog !== undefined) return;
  watchdog = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { current, names, budgetMs: RUN_BUDGET_MS } });
  watchdog.unref();
}

/** Records the running test's title where the watchdog can read it without this thread's help. */
export function noteRunningTest(title: string): void {
  const bytes = Buffer.from(title, 'utf8').subarray(0, names.byteLength);
  new Uint8Array(names).set(bytes);
  Atomics.store(new Int32Array(current), 0, bytes.length);
}

export async function stopWatchdog(): Promise<void> {
  await watchdog?.terminate();
  watchdog = undefined;
}
