import { expect } from 'chai';
import type { BackendEvent } from '../../../src/backends/api.js';
import { SharedMemoryBackend } from '../../../src/backends/shared-memory/index.js';
import { NO_VALUE } from '../../../src/values.js';
import { cached } from './support.js';

const present = (backend: SharedMemoryBackend, keys: string[]): string[] => keys.filter((key) => backend.getSync(key) !== NO_VALUE);
const range = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('shared-memory: eviction', () => {
  it('a full table evicts instead of failing, and counts evictions in the shared stats', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 64 * 1024 });
    for (const key of range('k', 25)) backend.setSync(key, cached(key));
    expect(backend.inspect().liveEntries).to.equal(10);
    expect(backend.statsStore.snapshot().evictions).to.equal(15);
    expect(present(backend, range('k', 25))).to.have.length(10);
    backend.verify();
  });

  it('a full arena evicts until the new value fits', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 1000, maxBytes: 16 * 1024, maxValueBytes: 4096 });
    for (const key of range('small', 100)) backend.setSync(key, cached('s'.repeat(100)));
    backend.setSync('large', cached('L'.repeat(4000)));
    expect(backend.getSync('large')).to.not.equal(NO_VALUE);
    expect(backend.statsStore.snapshot().evictions).to.be.greaterThan(0);
    expect(backend.inspect().arenaUsedBytes).to.be.at.most(16 * 1024);
    backend.verify();
  });

  it('with a region listening, evictions are reported as events (the region counts them)', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 4, maxBytes: 8192 });
    const events: BackendEvent[] = [];
    backend.setEventSink((event) => events.push(event));
    for (const key of range('k', 6)) backend.setSync(key, cached(1));
    backend.setMultiSync(range('m', 3).map((key) => [key, cached(1)] as const));
    expect(events).to.deep.equal([
      { type: 'eviction', count: 1 },
      { type: 'eviction', count: 1 },
      { type: 'eviction', count: 3 },
    ]);
    expect(backend.statsStore.snapshot().evictions, 'not counted twice').to.equal(0);
  });

  it('CLOCK: entries read since the hand last passed survive over entries nobody read', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 8, maxBytes: 64 * 1024 });
    const hot = range('hot', 4);
    const cold = range('cold', 4);
    for (let i = 0; i < 4; i++) {
      backend.setSync(hot[i]!, cached(i));
      backend.setSync(cold[i]!, cached(i));
    }
    for (const key of hot) backend.getSync(key);
    for (const key of range('new', 4)) backend.setSync(key, cached(0));
    expect(present(backend, hot)).to.deep.equal(hot);
    expect(present(backend, cold)).to.deep.equal([]);
  });

  it('expired entries (by the region expiration time) go before fresh unread ones', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 8, maxBytes: 64 * 1024 });
    backend.useRegionOptions({ expirationTimeMs: 60_000, lockTimeoutMs: 1000 });
    const fresh = range('fresh', 4);
    const expired = range('expired', 4);
    for (let i = 0; i < 4; i++) {
      backend.setSync(fresh[i]!, cached(i));
      backend.setSync(expired[i]!, cached(i, Date.now() - 120_000));
    }
    // Even read (referenced) expired entries go first.
    for (const key of expired) backend.getSync(key);
    for (const key of range('new', 4)) backend.setSync(key, cached(0));
    expect(present(backend, fresh)).to.deep.equal(fresh);
    expect(present(backend, expired)).to.deep.equal([]);
  });

  it('hard-invalidated entries go first', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 6, maxBytes: 64 * 1024 });
    const old = range('old', 3);
    for (const key of old) backend.setSync(key, cached(1, Date.now() - 10_000));
    backend.invalidationStore.write({ at: Date.now() - 5_000, hard: true });
    const kept = range('kept', 3);
    for (const key of kept) backend.setSync(key, cached(1));
    for (const key of old) backend.getSync(key);
    for (const key of range('new', 3)) backend.setSync(key, cached(1));
    expect(present(backend, kept)).to.deep.equal(kept);
    expect(present(backend, old)).to.deep.equal([]);
  });

  it('overwriting a key never evicts it to make room for its own new value', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 2, maxBytes: 4096, maxValueBytes: 2048 });
    backend.setSync('a', cached('x'.repeat(1500)));
    backend.setSync('b', cached('y'.repeat(1500)));
    backend.setSync('a', cached('z'.repeat(1800)));
    expect((backend.getSync('a') as { payload: string }).payload).to.equal('z'.repeat(1800));
    expect(backend.verify().liveEntries).to.be.at.least(1);
  });
});
