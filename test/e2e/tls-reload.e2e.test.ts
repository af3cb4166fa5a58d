/**
 * TLS material is read again from STATEGATE_TLS_CERT_FILE / STATEGATE_TLS_KEY_FILE on SIGHUP
 * (`app.reloadTls()`): new connections get the new certificate, open ones keep theirs, and a pair that
 * cannot be used is refused with an error log (no key material in it) while the current one stays.
 */
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { type ServerProcess, spawnServer } from '../support/process.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeSelfSignedCert } from '../support/tls.js';
import { until } from './helpers.js';
import { get } from './network-helpers.js';

const certA = makeSelfSignedCert();
const certB = makeSelfSignedCert();
/** The SHA-256 fingerprint as tls reports it, from the PEM file itself. */
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
const A = fingerprint(readFileSync(certA.certFile, 'utf8'));
const B = fingerprint(readFileSync(certB.certFile, 'utf8'));

/** A directory holding the port's cert.pem / key.pem, which the test swaps. */
function tlsDir(): { dir: string; cert: string; key: string; use(pair: typeof certA): void } {
  const dir = mkdtempSync(join(tmpdir(), 'stategate-reload-'));
  const files = { dir, cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  return {
    ...files,
    use(pair) {
      copyFileSync(pair.certFile, files.cert);
      copyFileSync(pair.keyFile, files.key);
    },
  };
}

/** A new TLS connection (ALPN h2 or http/1.1 offered): the certificate it was shown, and the protocol. */
function handshake(url: string, alpn = ['http/1.1']): Promise<{ socket: TLSSocket; fingerprint: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      { host: hostname, port: Number(port), rejectUnauthorized: false, ALPNProtocols: alpn },
      () => resolve({ socket, fingerprint: socket.getPeerCertificate().fingerprint256 }),
    );
    socket.once('error', reject);
  });
}
async function certificateOf(url: string): Promise<string> {
  const { socket, fingerprint: seen } = await handshake(url);
  socket.destroy();
  return seen;
}

describe('app.reloadTls()', () => {
  const files = tlsDir();
  let server: TestServer;
  beforeAll(async () => {
    files.use(certA);
    server = await startTestServer({ STATEGATE_TLS_CERT_FILE: files.cert, STATEGATE_TLS_KEY_FILE: files.key });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(files.dir, { recursive: true, force: true });
  });

  it('new connections see the new certificate; an open one keeps working on the old', async () => {
    expect(A).not.toBe(B);
    expect(await certificateOf(server.app.url)).toBe(A);
    const open = await handshake(server.app.url);
    expect((await get(open.socket, '/healthz')).status).toBe(200);

    files.use(certB);
    expect(await certificateOf(server.app.url)).toBe(A); // nothing changes before the reload
    expect(server.app.reloadTls()).toBe(true);
    expect(await certificateOf(server.app.url)).toBe(B);
    const h2 = await handshake(server.app.url, ['h2']);
    expect(h2.fingerprint).toBe(B);
    expect(h2.socket.alpnProtocol).toBe('h2');
    h2.socket.destroy();

    expect((await get(open.socket, '/healthz')).status).toBe(200);
    expect(open.socket.getPeerCertificate().fingerprint256).toBe(A);
    open.socket.destroy();
  });

  it.each([
    ['a key that is not PEM', (key: string) => writeFileSync(key, 'not a key\n')],
    ['the key of another certificate', (key: string) => copyFileSync(certA.keyFile, key)],
    ['a missing key file', (key: string) => rmSync(key)],
  ])('refuses %s and keeps serving the current certificate', async (_name, breakKey) => {
    files.use(certB);
    expect(server.app.reloadTls()).toBe(true);
    breakKey(files.key);
    expect(server.app.reloadTls()).toBe(false);
    expect(await certificateOf(server.app.url)).toBe(B);
  });

  it('is false on a cleartext port', async () => {
    const plain = await startTestServer();
    try {
      expect(plain.app.reloadTls()).toBe(false);
      expect((await fetch(`${plain.app.url}/healthz`)).status).toBe(200);
    } finally {
      await plain.close();
    }
  });
});

describe('SIGHUP to a running `node dist/main.js`', () => {
  const files = tlsDir();
  let proc: ServerProcess;
  beforeAll(async () => {
    files.use(certA);
    proc = await spawnServer({
      STATEGATE_TLS_CERT_FILE: files.cert,
      STATEGATE_TLS_KEY_FILE: files.key,
      STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'sqlite', path: join(files.dir, 'stategate.db') }),
      STATEGATE_LOG_LEVEL: 'info',
    });
  });
  afterAll(async () => {
    if (proc) expect(await proc.kill('SIGTERM')).toBe(0);
    rmSync(files.dir, { recursive: true, force: true });
  });

  const logged = (msg: string) => proc.logs.filter((entry) => entry.msg === msg).length;

  it('reloads the certificate files, and a failed reload keeps the current one and logs no key', async () => {
    expect(await certificateOf(proc.url)).toBe(A);

    files.use(certB);
    proc.child.kill('SIGHUP');
    await until(() => logged('TLS certificate reloaded') === 1, 'the reload log line');
    expect(await certificateOf(proc.url)).toBe(B);

    const keyPem = readFileSync(certA.keyFile, 'utf8');
    copyFileSync(certA.keyFile, files.key); // B's certificate with A's key: refused
    proc.child.kill('SIGHUP');
    await until(() => logged('TLS reload failed: keeping the current certificate') === 1, 'the failure log line');
    expect(await certificateOf(proc.url)).toBe(B);
    expect(proc.child.exitCode).toBeNull();

    const everything = JSON.stringify(proc.logs) + proc.stderr();
    expect(everything).not.toContain('PRIVATE KEY');
    const keyBody = keyPem.split('\n').filter((line) => line && !line.startsWith('-----'));
    for (const line of keyBody) expect(everything).not.toContain(line);
    const failure = proc.logs.find((entry) => entry.msg === 'TLS reload failed: keeping the current certificate');
    expect(failure).toMatchObject({ level: 'error', keyFile: files.key, reason: expect.any(String) });
  });
});
