// Root hooks for the whole test run. Real servers (one redis-server, one memcached) are started once
// before any test file runs and stopped after the last one; see servers.ts. Mocha runs the
// `mochaGlobalSetup` / `mochaGlobalTeardown` exports of a `--require`d module once per run (also in
// parallel mode, in the main process), and awaits the teardown before `--exit` ends the process.
import type { Context } from 'mocha';
import { startRunServers, stopRunServers } from './servers.js';
import { noteRunningTest, startWatchdog, stopWatchdog } from './watchdog.js';

export async function mochaGlobalSetup(): Promise<void> {
  startWatchdog();
  await startRunServers();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await stopRunServers();
  await stopWatchdog();
}

export const mochaHooks = {
  beforeEach(this: Context): void {
    noteRunningTest(this.currentTest?.fullTitle() ?? '');
  },
};
