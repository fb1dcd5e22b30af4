// file storage details: the directory layout, atomic writes, odd keys, corrupt entries through
// the region, backend-level expiry, close(), share/attach.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileBackend } from '../../../src/backends/file/index.js';
import { BackendUnavailableError, ValueTooLargeError } from '../../../src/errors.js';
import { attachRegion, encodeEnvelope, makeRegion, msgpackSerializer, NO_VALUE } from '../../../src/index.js';
import { freshDir, removeTempDirs } from './support.js';

after(removeTempDirs);

const entry = (payload: unknown, createdAt = Date.now()) => encodeEnvelope(createdAt, msgpackSerializer(payload));

function entryFiles(directory: string): string[] {
  const root = join(directory, 'entries');
  return readdirSync(root).flatMap((sub) => readdirSync(join(root, sub)).map((name) => join(root, sub, name)));
}

describe('file: storage', () => {
  const opened: FileBackend[] = [];
  const backend = (args: Record<string, unknown> = {}): FileBackend => {
    const made = new FileBackend({ directory: freshDir(), ...args });
    opened.push(made);
    return made;
  };
  afterEach(() => {
    for (const made of opened.splice(0)) made.close();
  });

  it('one file per entry under a hashed name, holding exactly the envelope bytes', async () => {
    const store = backend();
    const bytes = entry({ a: 1 });
    store.setSync('user:42/profile', bytes);
    await store.set('../../etc/passwd', bytes);
    const files = entryFiles(store.directory);
    expect(files).to.have.length(2);
    for (const file of files) {
      const name = file.split('/').pop()!;
      expect(name).to.match(/^[0-9a-f]{64}$/);
      expect(file.split('/').at(-2)).to.equal(name.slice(0, 2));
      expect(readFileSync(file).equals(Buffer.from(bytes))).to.equal(true);
    }
    expect(Buffer.from(store.getSync('user:42/profile') as Uint8Array).equals(Buffer.from(bytes))).to.equal(true);
    expect(Buffer.from((await store.get('../../etc/passwd')) as Uint8Array).equals(Buffer.from(bytes))).to.equal(true);
  });

  it('entries of every size read back exactly, around the 64 KiB read buffer', () => {
    const store = backend();
    for (const size of [0, 1, 12, 65_535, 65_536, 65_537, 300_000]) {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 7 + size) & 0xff;
      store.setSync(`size-${size}`, bytes);
      const back = store.getSync(`size-${size}`) as Uint8Array;
      expect(back.length, `size ${size}`).to.equal(size);
      expect(Buffer.from(back).equals(bytes), `size ${size}`).to.equal(true);
    }
    // Each read is its own copy: a later read does not change an earlier answer.
    const first = store.getSync('size-12') as Uint8Array;
    const snapshot = Buffer.from(first);
    store.getSync('size-65535');
    expect(Buffer.from(first).equals(snapshot)).to.equal(true);
  });

  it('writes leave no temp files behind; missing keys read as NO_VALUE; deletes are idempotent', async () => {
    const store = backend();
    for (let i = 0; i < 50; i++) store.setSync(`k${i}`, entry(i));
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.set(`a${i}`, entry(i))));
    expect(readdirSync(join(store.directory, 'tmp'))).to.deep.equal([]);
    expect(store.getSync('nope')).to.equal(NO_VALUE);
    expect(await store.get('nope')).to.equal(NO_VALUE);
    store.deleteSync('k1');
    store.deleteSync('k1');
    await store.delete('a1');
    await store.delete('a1');
    expect(store.getSync('k1')).to.equal(NO_VALUE);
    expect(entryFiles(store.directory)).to.have.length(98);
  });

  it('keys of any length and character map to distinct files', () => {
    const store = backend();
    const keys = ['', ' ', '\0', 'x'.repeat(10_000), '鍵/..\\:*?', 'a', 'A'];
    keys.forEach((key, i) => store.setSync(key, entry(i, 1_000 + i)));
    keys.forEach((key, i) => expect(Buffer.from(store.getSync(key) as Uint8Array).equals(Buffer.from(entry(i, 1_000 + i)))).to.equal(true));
    expect(entryFiles(store.directory)).to.have.length(keys.length);
  });

  it('recreates its subdirectories if they are removed while in use', () => {
    const store = backend();
    store.setSync('k', entry(1));
    rmSync(join(store.directory, 'entries'), { recursive: true });
    rmSync(join(store.directory, 'tmp'), { recursive: true });
    expect(store.getSync('k')).to.equal(NO_VALUE);
    store.setSync('k', entry(2));
    expect(store.getSync('k')).to.not.equal(NO_VALUE);
  });

  it('a value over maxBytes is refused with ValueTooLargeError', () => {
    const store = backend({ maxBytes: 1_000 });
    expect(() => store.setSync('big', new Uint8Array(1_001))).to.throw(ValueTooLargeError, /maxBytes/);
  });

  it('an entry older than maxAge reads as a miss; bytes that are not an entry still reach the region', async () => {
    const store = backend({ maxAge: '1m' });
    store.setSync('old', entry('old', Date.now() - 61_000));
    store.setSync('young', entry('young', Date.now() - 59_000));
    store.setSync('garbage', new Uint8Array([1, 2, 3]));
    expect(store.getSync('old')).to.equal(NO_VALUE);
    expect(await store.get('old')).to.equal(NO_VALUE);
    expect(store.getSync('young')).to.not.equal(NO_VALUE);
    expect(Array.from(store.getSync('garbage') as Uint8Array)).to.deep.equal([1, 2, 3]);
  });

  it('a corrupt or truncated entry file is a miss and one deserializeError event, then regenerated', async () => {
    const directory = freshDir();
    const region = makeRegion().configure('file', { expirationTime: '1m', arguments: { directory } });
    await region.ready;
    await region.set('victim', { fine: true });
    await region.set('cut', 'y'.repeat(1_000));
    const [victimFile, cutFile] = ['victim', 'cut'].map((key) => (region.actualBackend as unknown as { layout: { entryPath(key: string): string } }).layout.entryPath(key));
    writeFileSync(victimFile!, 'not an envelope at all');
    writeFileSync(cutFile!, readFileSync(cutFile!).subarray(0, 40));
    const events: Array<{ key: string }> = [];
    region.on('deserializeError', (event) => events.push(event));
    expect(await region.get('victim')).to.equal(NO_VALUE);
    expect(region.getSync('cut')).to.equal(NO_VALUE);
    expect(events.map((event) => event.key).sort()).to.deep.equal(['cut', 'victim']);
    expect(await region.getOrCreate('victim', () => 'regenerated')).to.equal('regenerated');
    expect(region.getSync('victim')).to.equal('regenerated');
    await region.close();
  });

  it('the invalidation state is one small file that every backend over the directory reads', () => {
    const directory = freshDir();
    const first = new FileBackend({ directory });
    const second = new FileBackend({ directory });
    opened.push(first, second);
    expect(second.invalidationStore.read()).to.equal(undefined);
    first.invalidationStore.write({ at: 1_234.5, hard: false });
    expect(readFileSync(join(directory, 'invalidation')).length).to.equal(9);
    // A new synchronous stretch: the cached answer is looked at again.
    return Promise.resolve().then(() => {
      expect(second.invalidationStore.read()).to.deep.equal({ at: 1_234.5, hard: false });
      second.invalidationStore.write({ at: 99, hard: true });
      expect(second.invalidationStore.read()).to.deep.equal({ at: 99, hard: true });
      return Promise.resolve().then(() => expect(first.invalidationStore.read()).to.deep.equal({ at: 99, hard: true }));
    });
  });

  it('close() releases held locks, stops working, and can be called twice', () => {
    const directory = freshDir();
    const first = new FileBackend({ directory });
    const second = backend({ directory } as Record<string, unknown>);
    expect(first.getMutex('k').acquireSync(false)).to.equal(true);
    expect(second.getMutex('k').acquireSync(false)).to.equal(false);
    first.close();
    first.close();
    expect(second.getMutex('k').acquireSync(false)).to.equal(true);
    expect(() => first.getSync('k')).to.throw(BackendUnavailableError, /closed/);
    expect(existsSync(directory)).to.equal(true);
  });

  it('share() + attachRegion() build a region over the same directory', async () => {
    const directory = freshDir();
    const region = makeRegion({ name: 'shared' }).configure('file', { expirationTime: '1m', arguments: { directory, maxEntries: 1_000 } });
    await region.ready;
    await region.set('k', 'v');
    const handle = region.share();
    expect(structuredClone(handle)).to.deep.equal(handle);
    const attached = attachRegion(handle);
    await attached.ready;
    expect(await attached.get('k')).to.equal('v');
    expect((attached.actualBackend as FileBackend).settings.maxEntries).to.equal(1_000);
    await attached.close();
    await region.close();
  });
});
