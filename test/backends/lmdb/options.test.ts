import { expect } from 'chai';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LmdbBackend } from '../../../src/backends/lmdb/index.js';
import { BackendUnavailableError, ValidationError } from '../../../src/errors.js';
import { localStoreOptionsSuite } from '../local-store/options-suite.js';
import { freshDir, removeTempDirs } from './support.js';

after(removeTempDirs);

localStoreOptionsSuite({ backend: 'lmdb', make: (args) => new LmdbBackend(args), base: () => ({ path: freshDir() }) });

describe('lmdb: its own options', () => {
  it('path is required and must be a non-empty string', () => {
    expect(() => new LmdbBackend({})).to.throw(ValidationError, /lmdb backend: path is required/);
    expect(() => new LmdbBackend({ path: '' })).to.throw(ValidationError, /path is required/);
    expect(() => new LmdbBackend({ path: 42 })).to.throw(ValidationError, /path is required/);
  });

  it('noSync defaults to true and must be a boolean; mapSize must be an integer of at least 64 KiB', async () => {
    const backend = new LmdbBackend({ path: freshDir() });
    expect(backend.settings.noSync).to.equal(true);
    expect(backend.settings.mapSize).to.equal(undefined);
    await backend.close();
    const durable = new LmdbBackend({ path: freshDir(), noSync: false, mapSize: 2 ** 24 });
    expect(durable.settings).to.include({ noSync: false, mapSize: 2 ** 24 });
    await durable.close();
    expect(() => new LmdbBackend({ path: freshDir(), noSync: 1 })).to.throw(ValidationError, /noSync must be true or false/);
    expect(() => new LmdbBackend({ path: freshDir(), mapSize: 10 })).to.throw(ValidationError, /mapSize must be an integer from 65536/);
  });

  it('a path that cannot be opened is a BackendUnavailableError that names it', () => {
    const file = join(freshDir(), 'a-plain-file');
    writeFileSync(file, '');
    expect(() => new LmdbBackend({ path: join(file, 'env') })).to.throw(BackendUnavailableError, /a-plain-file/);
  });

  it('path is always a directory, also when its last part has a dot in it', async () => {
    const path = join(freshDir(), 'cache.v2');
    const backend = new LmdbBackend({ path });
    backend.setSync('k', new Uint8Array([1, 2, 3]));
    await backend.close();
    expect(statSync(path).isDirectory()).to.equal(true);
    expect(readdirSync(path)).to.include('data.mdb');
  });
});
