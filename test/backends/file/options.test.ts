import { expect } from 'chai';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileBackend } from '../../../src/backends/file/index.js';
import { BackendUnavailableError, ValidationError } from '../../../src/errors.js';
import { localStoreOptionsSuite } from '../local-store/options-suite.js';
import { freshDir, removeTempDirs } from './support.js';

after(removeTempDirs);

localStoreOptionsSuite({ backend: 'file', make: (args) => new FileBackend(args), base: () => ({ directory: freshDir() }) });

describe('file: its own options', () => {
  it('directory is required and must be a non-empty string', () => {
    expect(() => new FileBackend({})).to.throw(ValidationError, /file backend: directory is required/);
    expect(() => new FileBackend({ directory: '  ' })).to.throw(ValidationError, /directory is required/);
    expect(() => new FileBackend({ directory: ['/tmp'] })).to.throw(ValidationError, /directory is required/);
  });

  it('a directory that cannot be created is a BackendUnavailableError that names it', () => {
    const file = join(freshDir(), 'a-plain-file');
    writeFileSync(file, '');
    expect(() => new FileBackend({ directory: join(file, 'cache') })).to.throw(BackendUnavailableError, /a-plain-file/);
  });

  it('a relative directory is resolved once, at construction', () => {
    const backend = new FileBackend({ directory: 'relative-cache-dir-for-test' });
    expect(backend.directory).to.equal(join(process.cwd(), 'relative-cache-dir-for-test'));
    backend.close();
    rmSync(backend.directory, { recursive: true, force: true });
  });
});
