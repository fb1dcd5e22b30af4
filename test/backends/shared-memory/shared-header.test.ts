import { expect } from 'chai';
import { STAT_NAMES } from '../../../src/backends/api.js';
import { SharedMemoryBackend } from '../../../src/backends/shared-memory/index.js';
import { STATS_HIGH_OFFSET } from '../../../src/backends/shared-memory/layout.js';
import { SharedStatsStore } from '../../../src/backends/shared-memory/stats-store.js';

describe('shared-memory: stats and invalidation in the shared header', () => {
  it('stats from every thread lane add up; every counter starts at zero', () => {
    const words = new Uint32Array(new SharedArrayBuffer(64 * 32 * 4));
    const lanes = [0, 1, 2, 65].map((threadId) => new SharedStatsStore(words, threadId));
    lanes.forEach((store, i) => store.increment('hits', i + 1));
    lanes[1]!.increment('lockWaits');
    lanes[1]!.increment('creations', 0);
    lanes[1]!.increment('creations', -5);
    const snapshot = lanes[0]!.snapshot();
    expect(Object.keys(snapshot)).to.deep.equal([...STAT_NAMES]);
    expect(snapshot.hits).to.equal(10);
    expect(snapshot.lockWaits).to.equal(1);
    expect(snapshot.creations).to.equal(0);
  });

  it('a counter carries past 32 bits', () => {
    const words = new Uint32Array(new SharedArrayBuffer(64 * 32 * 4));
    const store = new SharedStatsStore(words, 0);
    store.increment('hits', 2 ** 32 - 2);
    store.increment('hits', 5);
    expect(words[STATS_HIGH_OFFSET]).to.equal(1);
    expect(store.snapshot().hits).to.equal(2 ** 32 + 3);
    store.increment('misses', 3 * 2 ** 32 + 1);
    expect(store.snapshot().misses).to.equal(3 * 2 ** 32 + 1);
  });

  it('the invalidation state is undefined until written, then the latest write everywhere', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 });
    const other = SharedMemoryBackend.attach(backend.share());
    expect(other.invalidationStore.read()).to.equal(undefined);
    backend.invalidationStore.write({ at: 1000, hard: true });
    const first = other.invalidationStore.read();
    expect(first).to.deep.equal({ at: 1000, hard: true });
    expect(other.invalidationStore.read(), 'unchanged state is not rebuilt').to.equal(first);
    other.invalidationStore.write({ at: 2000, hard: false });
    expect(backend.invalidationStore.read()).to.deep.equal({ at: 2000, hard: false });
  });
});
