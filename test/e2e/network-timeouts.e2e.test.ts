/**
 * Slowloris and its relatives: every phase of a connection is bounded in time (small timeouts here) —
 * the protocol sniff, the TLS handshake, the request headers (STATEGATE_HEADERS_TIMEOUT_MS), the whole
 * request (STATEGATE_REQUEST_TIMEOUT_MS) and keep-alive (STATEGATE_IDLE_TIMEOUT_MS) — while `/healthz`
 * answers, and a long response stream (SSE, NDJSON) is never cut: those timeouts end with the request.
 */
import type { Socket } from 'node:net';
import { expectHealthy, watchHealth } from '../support/abuse/health.js';
import { openNdjson, openSse } from '../support/rest.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeSelfSignedCert } from '../support/tls.js';
import { sleep } from './helpers.js';
import { closedWithin, connectFrom, get } from './network-helpers.js';

const TIMEOUTS = {
  STATEGATE_HEADERS_TIMEOUT_MS: '500',
  STATEGATE_REQUEST_TIMEOUT_MS: '1000',
  STATEGATE_IDLE_TIMEOUT_MS: '1000',
};
/** Generous bound for "closed after the timeout": the timeout, Node's check interval and a loaded machine. */
const CLOSED_WITHIN_MS = 4000;

const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});

/** Writes `text` one byte every `everyMs` until the socket closes; resolves what the server sent back. */
function trickle(socket: Socket, text: string, everyMs = 50): { received: () => string } {
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  socket.on('error', () => {});
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable || i >= text.length) {
      clearInterval(timer);
      return;
    }
    socket.write(text[i]!);
    i += 1;
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
  return { received: () => received };
}

async function from(server: TestServer, localAddress = '127.0.0.9', ca?: Buffer): Promise<Socket> {
  const socket = await connectFrom(server.app.url, localAddress, ca);
  sockets.push(socket);
  return socket;
}

describe('cleartext: every phase bounded in time', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(TIMEOUTS);
  });
  afterAll(() => server.close());

  it('20 connections trickling their headers byte by byte are answered 408 and closed; /healthz answers', async () => {
    const health = watchHealth(server.app.url, 50);
    const slow = await Promise.all(Array.from({ length: 20 }, () => from(server)));
    const trickles = slow.map((socket) =>
      trickle(socket, `GET /healthz HTTP/1.1\r\nhost: x\r\nx-slow: ${'a'.repeat(10_000)}\r\n\r\n`),
    );
    await Promise.all(slow.map((socket) => closedWithin(socket, CLOSED_WITHIN_MS)));
    expectHealthy(await health.stop(), 'while 20 connections trickle their headers');
    for (const t of trickles) {
      expect(t.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(t.received()).toMatch(/\r\nx-content-type-options: nosniff\r\n/);
    }
  });

  it('a connection that sends nothing is closed (the protocol sniff has the headers timeout)', async () => {
    await closedWithin(await from(server), CLOSED_WITHIN_MS);
  });

  it('a connection trickling the HTTP/2 preface is closed', async () => {
    const socket = await from(server);
    trickle(socket, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 100);
    await closedWithin(socket, CLOSED_WITHIN_MS);
  });

  it('a body trickled byte by byte is answered 408 after the request timeout', async () => {
    const socket = await from(server);
    socket.write('POST /api/entity/ref/slow/t/k HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n');
    socket.write('content-length: 1000\r\n\r\n');
    const t = trickle(socket, `{"values":{"a":"${'x'.repeat(900)}"}}`);
    await closedWithin(socket, CLOSED_WITHIN_MS);
    expect(t.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('an idle keep-alive connection is closed after the idle timeout', async () => {
    const socket = await from(server);
    expect((await get(socket, '/healthz')).status).toBe(200);
    await closedWithin(socket, CLOSED_WITHIN_MS);
  });

  it('a connection that keeps making requests is not cut by the request timeout', async () => {
    const socket = await from(server);
    for (let i = 0; i < 6; i += 1) {
      expect((await get(socket, '/healthz')).status).toBe(200);
      await sleep(300);
    }
  });

  it.each([
    ['SSE', openSse],
    ['NDJSON', openNdjson],
  ] as const)('a quiet %s stream outlives every timeout and still delivers', async (_name, read) => {
    const domain = `slow-stream-${_name}`;
    const stream = await read(`${server.app.url}/api/events/stream?domain=${domain}`);
    try {
      expect(stream.response.status).toBe(200);
      await sleep(2500); // past the headers (0.5 s), request (1 s) and idle (1 s) timeouts
      const set = await fetch(`${server.app.url}/api/entity/ref/${domain}/t/k`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"values":{"a":1}}',
      });
      expect(set.status).toBe(200);
      const [item] = await stream.waitFor(1, 5000);
      expect(JSON.stringify(item)).toContain(domain);
    } finally {
      stream.close();
    }
  });
});

describe('TLS: the handshake is bounded too', () => {
  let server: TestServer;
  let ca: Buffer;
  beforeAll(async () => {
    const cert = makeSelfSignedCert();
    ca = cert.ca;
    server = await startTestServer({
      ...TIMEOUTS,
      STATEGATE_TLS_CERT_FILE: cert.certFile,
      STATEGATE_TLS_KEY_FILE: cert.keyFile,
    });
  });
  afterAll(() => server.close());

  it('a TCP connection that never starts its TLS handshake is closed', async () => {
    await closedWithin(await from(server), CLOSED_WITHIN_MS);
  });

  it('headers trickled over TLS are answered 408 and closed', async () => {
    const socket = await from(server, '127.0.0.9', ca);
    const t = trickle(socket, `GET /healthz HTTP/1.1\r\nhost: x\r\nx-slow: ${'a'.repeat(10_000)}\r\n\r\n`);
    await closedWithin(socket, CLOSED_WITHIN_MS);
    expect(t.received()).toMatch(/^HTTP\/1\.1 408 /);
  });
});
