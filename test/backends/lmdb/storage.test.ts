// lmdb storage details: bytes as given, long and odd keys, corrupt entries through the region,
// backend-level expiry, close(), share/attach.
import { expect } from 'chai';
import { open } from 'lmdb';
import { LmdbBackend } from '../../../src/backends/lmdb/index.js';
import { BackendUnavailableError, ValueTooLargeError } from '../../../src/errors.js';
import { attachRegion, encodeEnvelope, makeRegion, msgpackSerializer, NO_VALUE } from '../../../src/index.js';
import { freshDir, removeTempDirs } from './support.js';

after(removeTempDirs);

const entry = (payload: unknown, createdAt = Date.now()) => encodeEnvelope(createdAt, msgpackSerializer(payload));

describe('lmdb: storage', () => {
  const open_: LmdbBackend[] = [];
  const backend = (args: Record<string, unknown> = {}): LmdbBackend => {
    const made = new LmdbBackend({ path: freshDir(), ...args });
    open_.push(made);
    return made;
  };
  afterEach(async () => {
    await Promise.all(open_.splice(0).map((made) => made.close()));
  });

  it('stores the envelope bytes exactly as given, sync and async', async () => {
    const store = backend();
    const bytes = entry({ a: [1, 2, 3] });
    store.setSync('k', bytes);
    expect(Buffer.from(store.getSync('k') as Uint8Array).equals(Buffer.from(bytes))).to.equal(true);
    await store.set('k2', bytes);
    expect(Buffer.from((await store.get('k2')) as Uint8Array).equals(Buffer.from(bytes))).to.equal(true);
    expect(store.getSync('missing')).to.equal(NO_VALUE);
  });

  it('returned bytes stay valid after later reads (no shared read buffer leaks out)', () => {
    const store = backend();
    store.setSync('a', entry('first'));
    store.setSync('b', entry('second'));
    const first = store.getSync('a') as Uint8Array;
    const copy = Buffer.from(first);
    store.getSync('b');
    store.getMultiSync(['a', 'b', 'a']);
    expect(Buffer.from(first).equals(copy)).to.equal(true);
  });

  it('keys beyond the LMDB key limit and keys starting with NUL work and stay apart', () => {
    const store = backend();
    const long = 'x'.repeat(5_000);
    const longer = 'x'.repeat(5_001);
    const unicodeLong = '鍵'.repeat(700);
    const keys = [long, longer, unicodeLong, '\0sweep', '\0' + 'a'.repeat(64), ''];
    keys.forEach((key, i) => store.setSync(key, entry(i)));
    keys.forEach((key, i) => expect(Buffer.from(store.getSync(key) as Uint8Array).equals(Buffer.from(entry(i, readTime(store.getSync(key) as Uint8Array))))).to.equal(true));
    store.deleteMultiSync([long, '\0sweep']);
    expect(store.getSync(long)).to.equal(NO_VALUE);
    expect(store.getSync(longer)).to.not.equal(NO_VALUE);
    // The sweep lock is not a region key's lock.
    expect(store.getMutex('\0sweep').acquireSync(false)).to.equal(true);
    expect(store.sweep()).to.be.a('number');
  });

  it('a value over maxBytes is refused with ValueTooLargeError', () => {
    const store = backend({ maxBytes: 1_000 });
    expect(() => store.setSync('big', new Uint8Array(1_001))).to.throw(ValueTooLargeError, /maxBytes/);
    expect(() => store.setSync('fits', new Uint8Array(1_000))).to.not.throw();
  });

  it('an entry older than maxAge reads as a miss; bytes that are not an entry still reach the region', () => {
    const store = backend({ maxAge: '1m' });
    store.setSync('old', entry('old', Date.now() - 61_000));
    store.setSync('young', entry('young', Date.now() - 59_000));
    store.setSync('garbage', new Uint8Array([1, 2, 3]));
    expect(store.getSync('old')).to.equal(NO_VALUE);
    expect(store.getSync('young')).to.not.equal(NO_VALUE);
    expect(Array.from(store.getSync('garbage') as Uint8Array)).to.deep.equal([1, 2, 3]);
  });

  it('corrupt bytes written by another program are a miss and one deserializeError event, then regenerated', async () => {
    const path = freshDir();
    const region = makeRegion().configure('lmdb', { expirationTime: '1m', arguments: { path } });
    await region.ready;
    await region.set('victim', { fine: true });
    await region.set('cut', 'x'.repeat(1_000));
    // A foreign writer scribbles over the entries, bypassing the backend.
    const raw = open({ path, noSync: true });
    const values = raw.openDB('dogpile:values', { encoding: 'binary' });
    values.putSync('victim', Buffer.from('not an envelope at all'));
    const cut = values.getBinary('cut')!;
    values.putSync('cut', cut.subarray(0, 40));
    await raw.close();
    const events: Array<{ key: string }> = [];
    region.on('deserializeError', (event) => events.push(event));
    expect(await region.get('victim')).to.equal(NO_VALUE);
    expect(region.getSync('cut')).to.equal(NO_VALUE);
    expect(events.map((event) => event.key).sort()).to.deep.equal(['cut', 'victim']);
    expect(await region.getOrCreate('victim', () => 'regenerated')).to.equal('regenerated');
    expect(region.getSync('victim')).to.equal('regenerated');
    await region.close();
  });

  it('close() releases held locks at once, stops working, and can be called twice', async () => {
    const path = freshDir();
    const first = new LmdbBackend({ path });
    const second = new LmdbBackend({ path });
    open_.push(second);
    const held = first.getMutex('k');
    expect(held.acquireSync(false)).to.equal(true);
    expect(second.getMutex('k').acquireSync(false)).to.equal(false);
    await first.close();
    await first.close();
    expect(second.getMutex('k').acquireSync(false)).to.equal(true);
    expect(() => first.getSync('k')).to.throw(BackendUnavailableError, /closed/);
    expect(held.lockedSync(), 'a handle from before close() answers without touching the closed environment').to.equal(false);
    expect(() => first.setSync('k', entry(1))).to.throw(BackendUnavailableError, /closed/);
    // The other handle on the same environment keeps working.
    second.setSync('still', entry('open'));
    expect(second.getSync('still')).to.not.equal(NO_VALUE);
  });

  it('a waiter blocked on a lock gives up when its backend closes', async () => {
    const path = freshDir();
    const holder = backend({ path } as Record<string, unknown>);
    const waiterBackend = new LmdbBackend({ path });
    expect(holder.getMutex('k').acquireSync(false)).to.equal(true);
    const waiting = waiterBackend.getMutex('k').acquire(true, 20_000);
    setTimeout(() => void waiterBackend.close(), 50);
    expect(await waiting).to.equal(false);
  });

  it('share() + attachRegion() build a region over the same environment', async () => {
    const path = freshDir();
    const region = makeRegion({ name: 'shared' }).configure('lmdb', { expirationTime: '1m', arguments: { path, maxEntries: 1_000 } });
    await region.ready;
    await region.set('k', 'v');
    const handle = region.share();
    expect(structuredClone(handle)).to.deep.equal(handle);
    const attached = attachRegion(handle);
    await attached.ready;
    expect(await attached.get('k')).to.equal('v');
    expect((attached.actualBackend as LmdbBackend).settings.maxEntries).to.equal(1_000);
    await attached.close();
    await region.close();
  });
});

function readTime(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 12).getFloat64(4, true);
}
