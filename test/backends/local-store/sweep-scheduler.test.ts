import { expect } from 'chai';
import { SweepScheduler, type SweepReason } from '../../../src/backends/local-store/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('sweep scheduler', () => {
  it('checks after every checkEveryWrites writes', () => {
    const runs: SweepReason[] = [];
    const scheduler = new SweepScheduler((reason) => runs.push(reason), { intervalMs: Infinity, checkEveryWrites: 3, onTimer: true });
    scheduler.noteWrites(2);
    expect(runs).to.deep.equal([]);
    scheduler.noteWrites(1);
    scheduler.noteWrites(5);
    expect(runs).to.deep.equal(['writes', 'writes']);
    scheduler.stop();
  });

  it('on a timer: the periodic sweep runs without any write', async () => {
    const runs: SweepReason[] = [];
    const scheduler = new SweepScheduler((reason) => runs.push(reason), { intervalMs: 10, checkEveryWrites: 100, onTimer: true });
    await sleep(80);
    scheduler.stop();
    expect(runs.length).to.be.greaterThan(0);
    expect(new Set(runs)).to.deep.equal(new Set(['periodic']));
  });

  it('without a timer: nothing runs while idle; the first write check after the period runs the periodic sweep', async () => {
    const runs: SweepReason[] = [];
    const scheduler = new SweepScheduler((reason) => runs.push(reason), { intervalMs: 30, checkEveryWrites: 1, onTimer: false });
    scheduler.noteWrites(1);
    expect(runs).to.deep.equal(['writes']);
    await sleep(80);
    expect(runs, 'idle').to.deep.equal(['writes']);
    scheduler.noteWrites(1);
    scheduler.noteWrites(1);
    expect(runs).to.deep.equal(['writes', 'periodic', 'writes']);
    scheduler.stop();
  });

  it('a sweep that triggers writes of its own does not start a second one', () => {
    const runs: SweepReason[] = [];
    const scheduler: SweepScheduler = new SweepScheduler(
      (reason) => {
        runs.push(reason);
        scheduler.noteWrites(1);
      },
      { intervalMs: Infinity, checkEveryWrites: 1, onTimer: true },
    );
    scheduler.noteWrites(1);
    expect(runs).to.deep.equal(['writes']);
  });
});
