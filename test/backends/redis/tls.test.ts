// The redis backend over a real TLS connection: a redis-server listening with TLS (certificates
// made for this file by openssl), reached with `rediss://` and the CA, and refused without it.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendUnavailableError, makeRegion } from '../../../src/index.js';
import { freePort, startRedis, type ServerHandle } from '../../support/servers.js';
import { uniquePrefix } from './support.js';

/** A CA and a server certificate for 127.0.0.1 signed by it, as PEM files in `dir`. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=dogpile test CA', '-keyout', path('ca.key'), '-out', path('ca.pem'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', path('server.key'), '-out', path('server.csr'));
  const extensions = path('server.ext');
  execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1' > '${extensions}'`]);
  openssl('x509', '-req', '-in', path('server.csr'), '-CA', path('ca.pem'), '-CAkey', path('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', extensions, '-out', path('server.pem'));
  return { ca: path('ca.pem'), cert: path('server.pem'), key: path('server.key') };
}

describe('redis backend over TLS', function () {
  this.timeout(60_000);
  let dir: string;
  let server: ServerHandle;
  let tlsPort: number;
  let ca: string;
  const prefix = uniquePrefix('tls');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dogpile-tls-'));
    const files = makeCertificates(dir);
    ca = readFileSync(files.ca, 'utf8');
    tlsPort = await freePort();
    server = await startRedis({
      args: ['--tls-port', String(tlsPort), '--tls-cert-file', files.cert, '--tls-key-file', files.key, '--tls-ca-cert-file', files.ca, '--tls-auth-clients', 'no'],
    });
  });
  after(async () => {
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rediss:// with the CA: values, the lock and invalidation work over the encrypted connection', async () => {
    const region = makeRegion().configure('redis', {
      expirationTime: '1m',
      arguments: { url: `rediss://127.0.0.1:${tlsPort}`, tls: { ca }, prefix },
    });
    try {
      let calls = 0;
      const values = await Promise.all(Array.from({ length: 10 }, () => region.getOrCreate('k', async () => (calls++, 'over tls'))));
      expect(new Set(values)).to.deep.equal(new Set(['over tls']));
      expect(calls).to.equal(1);
      expect(await region.get('k')).to.equal('over tls');
      region.invalidate();
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await region.getOrCreate('k', () => 'after invalidate')).to.equal('after invalidate');
    } finally {
      await region.close();
    }
  });

  it('a server certificate the client does not trust is refused: a connection event names it, and fail-closed throws BackendUnavailableError', async () => {
    const region = makeRegion().configure('redis', {
      failOpen: false,
      arguments: { url: `rediss://127.0.0.1:${tlsPort}`, tls: true, prefix, commandTimeout: 2_000 },
    });
    const connectionErrors: string[] = [];
    region.on('backendError', (event) => {
      const { operation, error } = event as { operation: string; error: Error & { cause?: Error } };
      if (operation === 'connection') connectionErrors.push(`${error.message} ${error.cause?.message ?? ''}`);
    });
    try {
      let thrown: unknown;
      await region.get('k').catch((error: unknown) => (thrown = error));
      expect(thrown).to.be.instanceOf(BackendUnavailableError);
      expect(connectionErrors.join('\n')).to.match(/certificate/i);
    } finally {
      await region.close();
    }
  });
});
