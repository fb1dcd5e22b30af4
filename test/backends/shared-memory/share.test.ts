import { expect } from 'chai';
import { SharedMemoryBackend } from '../../../src/backends/shared-memory/index.js';
import { ValidationError } from '../../../src/errors.js';
import { NO_VALUE, type CachedValue } from '../../../src/values.js';
import { cached, resultOf, startWorker, stopWorkers } from './support.js';

describe('shared-memory: share() and attach()', function () {
  this.timeout(30_000);
  afterEach(stopWorkers);

  it('the handle survives structured cloning and opens the same table', () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192, localCacheEntries: 3 });
    const handle = structuredClone(backend.share());
    const attached = SharedMemoryBackend.attach(handle);
    backend.setSync('k', cached('from the creator'));
    expect((attached.getSync('k') as CachedValue).payload).to.equal('from the creator');
    attached.deleteSync('k');
    expect(backend.getSync('k')).to.equal(NO_VALUE);
    expect(attached.share().localCacheEntries).to.equal(3);
  });

  it('attach() refuses anything that is not a handle of a table of this layout', () => {
    const bad: unknown[] = [
      undefined,
      null,
      'handle',
      {},
      { kind: 'dogpile-cache/shared-memory' },
      { kind: 'dogpile-cache/shared-memory', buffer: new ArrayBuffer(8192), localCacheEntries: 0 },
      { kind: 'dogpile-cache/shared-memory', buffer: new SharedArrayBuffer(8192), localCacheEntries: 0 },
    ];
    for (const handle of bad) expect(() => SharedMemoryBackend.attach(handle), String(handle)).to.throw(ValidationError, /share\(\)|cache table/);
    const good = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 }).share();
    expect(() => SharedMemoryBackend.attach({ ...good, localCacheEntries: -1 })).to.throw(ValidationError, 'localCacheEntries');
    const truncated = new SharedArrayBuffer(good.buffer.byteLength - 8);
    new Uint8Array(truncated).set(new Uint8Array(good.buffer, 0, truncated.byteLength));
    expect(() => SharedMemoryBackend.attach({ ...good, buffer: truncated })).to.throw(ValidationError, /describes \d+ bytes/);
  });

  it('a worker attached through the handle reads, writes, counts stats and invalidates in the same table', async () => {
    const backend = new SharedMemoryBackend({ maxEntries: 10, maxBytes: 8192 });
    backend.setSync('from-main', cached('hello worker'));
    const worker = startWorker('attach-roundtrip.ts', { handle: backend.share() });
    const seen = await resultOf<{ read: unknown }>(worker);
    expect(seen.read).to.equal('hello worker');
    expect((backend.getSync('from-worker') as CachedValue).payload).to.deep.equal({ answer: 42 });
    expect(backend.statsStore.snapshot().hits).to.equal(7);
    expect(backend.invalidationStore.read()).to.deep.equal({ at: 1234, hard: false });
  });
});
