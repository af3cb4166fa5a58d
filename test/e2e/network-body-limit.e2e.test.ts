/**
 * A declared Content-Length over STATEGATE_MAX_BODY_BYTES is refused on its headers (413; Connect:
 * resource_exhausted), before a byte of the body is read, and the connection is closed so that a real
 * client sending a real 50 MB body reads the answer instead of ECONNRESET / EPIPE.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect as h2connect } from 'node:http2';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { probeHealth } from '../support/abuse/health.js';
import { http2 } from '../support/abuse/http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { openStore } from './helpers.js';

const BIG = Buffer.alloc(50 * 1024 * 1024, 'x');
const LIMIT = 4 * 1024 * 1024;
const SET = '/api/entity/ref/limits/t/big';

let server: TestServer;
let store: ReturnType<typeof openStore>;
let before: ReturnType<ReturnType<typeof openStore>['state']>;
beforeAll(async () => {
  server = await startTestServer({ STATEGATE_MAX_BODY_BYTES: String(LIMIT) });
  store = openStore(server);
  before = store.state();
});
afterAll(async () => {
  store?.close();
  await server?.close();
});
afterEach(async () => {
  expect(store.state()).toEqual(before);
  expect((await probeHealth(server.app.url)).ok).toBe(true);
});

/** What each face answers, by path and content type. */
const FACES = [
  { name: 'REST', path: SET, type: 'application/json', status: 413, body: { code: 8, details: [] } },
  {
    name: 'GraphQL',
    path: '/api/graphql',
    type: 'application/json',
    status: 413,
    body: { errors: [{ extensions: { code: 'RESOURCE_EXHAUSTED' } }] },
  },
  {
    name: 'Connect',
    path: '/stategate.EntityService/Set',
    type: 'application/json',
    status: 429,
    body: { code: 'resource_exhausted' },
  },
];

describe('a 50 MB upload with Content-Length', () => {
  it.each(FACES)('$name: fetch reads the refusal ($status)', async ({ path, type, status, body }) => {
    const res = await fetch(`${server.app.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: BIG,
    });
    expect(res.status).toBe(status);
    expect(res.headers.get('connection')).toBe('close');
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject(body);
    expect(text).toContain(`larger than ${LIMIT} bytes`);
  });

  it.each(FACES)(
    '$name: node:http writing the whole body reads the refusal, no EPIPE/ECONNRESET',
    async ({ path, type, status }) => {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          `${server.app.url}${path}`,
          { method: 'POST', agent: false, headers: { 'content-type': type, 'content-length': BIG.length } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => {
              text += c;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end(BIG);
      });
      expect(answer.status).toBe(status);
      expect(answer.body).toContain(`larger than ${LIMIT} bytes`);
    },
  );

  it('gRPC-Web gets RESOURCE_EXHAUSTED in its status headers', async () => {
    const res = await fetch(`${server.app.url}/stategate.EntityService/Set`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' },
      body: BIG,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('grpc-status')).toBe('8');
    expect(res.headers.get('grpc-message')).toContain('larger than');
  });

  it('curl reads the 413, with and without Expect: 100-continue', async () => {
    const file = join(server.dataDir, 'big.bin');
    writeFileSync(file, BIG);
    for (const expectHeader of [[], ['-H', 'Expect:']]) {
      const { stdout } = await promisify(execFile)('curl', [
        '-sS',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '-H',
        'content-type: application/json',
        ...expectHeader,
        '--data-binary',
        `@${file}`,
        `${server.app.url}${SET}`,
      ]);
      expect(stdout).toBe('413');
    }
  });

  it('is answered on the headers alone: the client sends 1 KB of the 50 MB and reads the 413', async () => {
    const { hostname, port } = new URL(server.app.url);
    const { text, closedByServer } = await new Promise<{ text: string; closedByServer: boolean }>((resolve) => {
      const socket = tcpConnect(Number(port), hostname, () => {
        socket.write(
          `POST ${SET} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${BIG.length}\r\n\r\n`,
        );
        socket.write(BIG.subarray(0, 1024));
      });
      let received = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        received += chunk;
      });
      // The server half-closes after the answer; the client closing its side ends the connection.
      socket.on('end', () => socket.end());
      socket.on('close', () => resolve({ text: received, closedByServer: true }));
      setTimeout(() => {
        socket.destroy();
        resolve({ text: received, closedByServer: false });
      }, 5000).unref();
    });
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
    expect(closedByServer).toBe(true);
  });

  it('Expect: 100-continue gets the 413 instead of 100 Continue, and a small body is continued', async () => {
    const post = (length: number) =>
      new Promise<{ continued: boolean; status: number }>((resolve, reject) => {
        let continued = false;
        const body = Buffer.from(JSON.stringify({ values: { a: 1 } }));
        const req = httpRequest(`${server.app.url}/api/entity/ref/limits/t/small-${length}`, {
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': length, expect: '100-continue' },
        });
        req.on('continue', () => {
          continued = true;
          req.end(body);
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve({ continued, status: res.statusCode ?? 0 }));
          if (!continued) req.destroy();
        });
        req.on('error', (err) => {
          if (!continued) return;
          reject(err);
        });
        req.flushHeaders();
      });
    expect(await post(BIG.length)).toEqual({ continued: false, status: 413 });
    const small = await post(Buffer.byteLength(JSON.stringify({ values: { a: 1 } })));
    expect(small).toEqual({ continued: true, status: 200 });
    before = store.state(); // that one wrote, on purpose
  });

  it('HTTP/2: the stream gets the 413 and the connection serves the next request', async () => {
    const session = h2connect(server.app.url);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const stream = session.request({
          ':method': 'POST',
          ':path': SET,
          'content-type': 'application/json',
          'content-length': String(BIG.length),
        });
        let answer = 0;
        stream.on('response', (headers) => {
          answer = Number(headers[':status']);
        });
        stream.on('error', reject);
        stream.on('close', () => resolve(answer));
        stream.resume();
        // Written with backpressure, as a real uploader does, until the server says stop.
        void (async () => {
          const piece = BIG.subarray(0, 64 * 1024);
          for (let sent = 0; sent < BIG.length && !stream.closed; sent += piece.length) {
            if (stream.write(piece)) continue;
            await new Promise((resolve) => {
              stream.once('drain', resolve);
              stream.once('close', resolve);
            });
          }
          if (!stream.closed) stream.end();
        })();
      });
      expect(status).toBe(413);
      const next = await http2(server.app.url, { method: 'GET', path: '/healthz' }, session);
      expect(next.status).toBe(200);
    } finally {
      session.close();
    }
  });
});
