/**
 * STATEGATE_MAX_CONNECTIONS and STATEGATE_MAX_CONNECTIONS_PER_IP: a connection over a limit gets a quick
 * answer (HTTP/1.1 503 + Retry-After + connection: close; HTTP/2 GOAWAY ENHANCE_YOUR_CALM), never a hang,
 * while `/healthz` and `/readyz` are still answered on such a connection, so health stays answerable from
 * a fresh connection. Over the small overflow reserve too, a connection is closed unanswered.
 * Clients use distinct loopback addresses (127.0.0.x) to be distinct IPs.
 */
import { constants, connect as h2connect } from 'node:http2';
import { type Socket, connect as tcpConnect } from 'node:net';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeSelfSignedCert } from '../support/tls.js';
import { closedWithin, connectFrom, exchange, get, heldConnection } from './network-helpers.js';

const held: Socket[] = [];
afterEach(() => {
  for (const socket of held.splice(0)) socket.destroy();
});
async function hold(baseUrl: string, localAddress: string, count: number, ca?: Buffer): Promise<Socket[]> {
  const sockets = await Promise.all(Array.from({ length: count }, () => heldConnection(baseUrl, localAddress, ca)));
  held.push(...sockets);
  return sockets;
}
async function fresh(baseUrl: string, localAddress: string, ca?: Buffer): Promise<Socket> {
  const socket = await connectFrom(baseUrl, localAddress, ca);
  held.push(socket);
  return socket;
}

/** The answer to a connection over the limits, and the connection closed after it. */
async function expectTooMany(socket: Socket, answer: Awaited<ReturnType<typeof get>>): Promise<void> {
  expect(answer.status).toBe(503);
  expect(answer.headers['retry-after']).toBe('1');
  expect(answer.headers.connection).toBe('close');
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  expect(JSON.parse(answer.body)).toEqual({
    code: 14,
    message: expect.stringMatching(/too many connections/),
    details: [],
  });
  await closedWithin(socket, 3000);
}

describe('STATEGATE_MAX_CONNECTIONS_PER_IP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ STATEGATE_MAX_CONNECTIONS_PER_IP: '4' });
  });
  afterAll(() => server.close());

  it('answers the connection over the limit with 503 + Retry-After and closes it; other IPs are served', async () => {
    await hold(server.app.url, '127.0.0.2', 4);
    const over = await fresh(server.app.url, '127.0.0.2');
    await expectTooMany(over, await get(over, '/api/entity/search?domain=d&type=t&limit=1'));
    const other = await get(await fresh(server.app.url, '127.0.0.3'), '/api/entity/search?domain=d&type=t&limit=1');
    expect(other.status).toBe(200);
    expect(other.closed).toBe(false);
  });

  it('still serves /healthz and /readyz on a connection over the limit (then closes it)', async () => {
    await hold(server.app.url, '127.0.0.12', 4);
    for (const path of ['/healthz', '/readyz']) {
      const over = await fresh(server.app.url, '127.0.0.12');
      const answer = await get(over, path);
      expect(answer.status).toBe(200);
      expect(answer.headers.connection).toBe('close');
      await closedWithin(over, 3000);
    }
  });

  it('answers in each protocol: Connect unavailable, GraphQL UNAVAILABLE', async () => {
    await hold(server.app.url, '127.0.0.13', 4);
    const connectBody = '{"domain":"d","type":"t"}';
    const connect = await exchange(
      await fresh(server.app.url, '127.0.0.13'),
      `POST /stategate.EntityService/Search HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${connectBody.length}\r\n\r\n`,
      connectBody,
    );
    expect(connect.status).toBe(503);
    expect(JSON.parse(connect.body)).toMatchObject({ code: 'unavailable' });
    const query = '{"query":"{ __typename }"}';
    const graphql = await exchange(
      await fresh(server.app.url, '127.0.0.13'),
      `POST /api/graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${query.length}\r\n\r\n`,
      query,
    );
    expect(graphql.status).toBe(503);
    expect(JSON.parse(graphql.body).errors[0].extensions.code).toBe('UNAVAILABLE');
  });

  it('closes a connection over the limit that sends nothing, instead of holding it', async () => {
    await hold(server.app.url, '127.0.0.14', 4);
    const silent = await fresh(server.app.url, '127.0.0.14');
    await closedWithin(silent, 8000);
  });

  it('closes unanswered what is over the overflow reserve too (4 per IP), and admits again once one closes', async () => {
    const admitted = await hold(server.app.url, '127.0.0.15', 4);
    // Four connections fill this IP's share of the overflow reserve (each would get a 503 if it spoke)...
    await Promise.all(Array.from({ length: 4 }, () => fresh(server.app.url, '127.0.0.15')));
    // ...and the next one is closed at once, without an answer.
    const refused = await fresh(server.app.url, '127.0.0.15');
    const answer = await exchange(refused, 'GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n').catch(() => null);
    expect(answer?.status ?? 0).toBe(0);
    await closedWithin(refused, 1000);
    // One admitted connection closing frees its place.
    admitted[0]!.destroy();
    await closedWithin(admitted[0]!, 1000);
    let served = { status: 0, body: '' };
    // The server sees the close a moment later; until then a new connection is still refused.
    for (let attempt = 0; attempt < 20 && served.status === 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      served = await get(await fresh(server.app.url, '127.0.0.15'), '/api/entity/search?domain=d&type=t&limit=1');
    }
    expect(served.status).toBe(200);
  });

  it('refuses a WebSocket upgrade over the limit with 503', async () => {
    await hold(server.app.url, '127.0.0.16', 4);
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${server.wsUrl}`, 'graphql-transport-ws', { localAddress: '127.0.0.16' });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('the WebSocket opened over the limit')));
      ws.on('error', () => {});
    });
    expect(status).toBe(503);
  });

  it('sends GOAWAY ENHANCE_YOUR_CALM to an HTTP/2 connection over the limit', async () => {
    await hold(server.app.url, '127.0.0.17', 4);
    const { hostname, port } = new URL(server.app.url);
    const session = h2connect(server.app.url, {
      createConnection: () => tcpConnect({ host: hostname, port: Number(port), localAddress: '127.0.0.17' }),
    });
    session.on('error', () => {});
    try {
      const code = await new Promise<number>((resolve, reject) => {
        session.once('goaway', (errorCode) => resolve(errorCode));
        setTimeout(() => reject(new Error('no GOAWAY within 3 s')), 3000).unref();
      });
      expect(code).toBe(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    } finally {
      session.destroy();
    }
  });
});

describe('STATEGATE_MAX_CONNECTIONS', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ STATEGATE_MAX_CONNECTIONS: '9', STATEGATE_MAX_CONNECTIONS_PER_IP: '3' });
  });
  afterAll(() => server.close());

  it('full: a new client gets 503 + Retry-After, and /healthz from a fresh connection still answers', async () => {
    await Promise.all(['127.0.0.4', '127.0.0.5', '127.0.0.6'].map((ip) => hold(server.app.url, ip, 3)));
    const over = await fresh(server.app.url, '127.0.0.7');
    await expectTooMany(over, await get(over, '/api/entity/search?domain=d&type=t&limit=1'));
    const health = await get(await fresh(server.app.url, '127.0.0.8'), '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
  });
});

describe('connection limits over TLS', () => {
  let server: TestServer;
  let ca: Buffer;
  beforeAll(async () => {
    const cert = makeSelfSignedCert();
    ca = cert.ca;
    server = await startTestServer({
      STATEGATE_MAX_CONNECTIONS_PER_IP: '2',
      STATEGATE_TLS_CERT_FILE: cert.certFile,
      STATEGATE_TLS_KEY_FILE: cert.keyFile,
    });
  });
  afterAll(() => server.close());

  it('counts TLS connections per IP the same way and answers the one over the limit after its handshake', async () => {
    await hold(server.app.url, '127.0.0.2', 2, ca);
    const over = await fresh(server.app.url, '127.0.0.2', ca);
    await expectTooMany(over, await get(over, '/api/entity/search?domain=d&type=t&limit=1'));
    expect((await get(await fresh(server.app.url, '127.0.0.3', ca), '/healthz')).status).toBe(200);
  });
});
