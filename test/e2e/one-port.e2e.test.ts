import { connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { gql } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeSelfSignedCert } from '../support/tls.js';

/** One request over HTTP/2 (h2c prior knowledge, or TLS with ALPN h2); resolves status, protocol and body. */
async function h2Request(
  origin: string,
  path: string,
  body?: string,
  ca?: Buffer,
): Promise<{ status: number; body: string; alpn: string | false | undefined }> {
  const session = connect(origin, ca ? { ca } : {});
  try {
    const req = session.request({
      ':method': body ? 'POST' : 'GET',
      ':path': path,
      ...(body ? { 'content-type': 'application/json' } : {}),
    });
    if (body) req.end(body);
    else req.end();
    const status = await new Promise<number>((resolve) => req.once('response', (h) => resolve(Number(h[':status']))));
    let text = '';
    req.setEncoding('utf8');
    for await (const chunk of req) text += chunk;
    return { status, body: text, alpn: session.alpnProtocol };
  } finally {
    session.close();
  }
}

const setQuery = JSON.stringify({
  query: 'mutation { setEntity(input: {domain: "d", type: "t", key: "h2", values: {via: "h2"}}) }',
});

describe('one port, cleartext: HTTP/1.1 and HTTP/2 (h2c prior knowledge)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('serves GraphQL over HTTP/1.1 and HTTP/2 on the same port', async () => {
    const h2 = await h2Request(server.app.url, '/api/graphql', setQuery);
    expect(h2.status).toBe(200);
    expect(JSON.parse(h2.body)).toEqual({ data: { setEntity: true } });
    const h1 = await gql(server.httpUrl, '{ getEntity(input: {domain: "d", type: "t", key: "h2"}) { values } }');
    expect(h1.data).toEqual({ getEntity: { values: { via: 'h2' } } });
  });

  it('answers unknown paths with 404 on both protocols', async () => {
    expect((await h2Request(server.app.url, '/nope')).status).toBe(404);
    expect((await fetch(`${server.app.url}/nope`)).status).toBe(404);
  });
});

describe('one port, TLS: ALPN picks HTTP/2 or HTTP/1.1', () => {
  let server: TestServer;
  let ca: Buffer;
  beforeAll(async () => {
    const cert = makeSelfSignedCert();
    ca = cert.ca;
    server = await startTestServer({ STATEGATE_TLS_CERT_FILE: cert.certFile, STATEGATE_TLS_KEY_FILE: cert.keyFile });
  });
  afterAll(() => server.close());

  it('listens on https', () => {
    expect(server.app.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('negotiates h2 and serves GraphQL over it', async () => {
    const res = await h2Request(server.app.url.replace('127.0.0.1', 'localhost'), '/api/graphql', setQuery, ca);
    expect(res.alpn).toBe('h2');
    expect(JSON.parse(res.body)).toEqual({ data: { setEntity: true } });
  });

  it('serves HTTP/1.1 clients over TLS', async () => {
    const { status, body, version } = await new Promise<{ status: number; body: string; version: string }>(
      (resolve, reject) => {
        const req = httpsRequest(
          `${server.app.url}/api/graphql`,
          { method: 'POST', ca, headers: { 'content-type': 'application/json' }, servername: 'localhost' },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c) => {
              text += c;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, version: res.httpVersion }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ query: '{ getEntity(input: {domain: "d", type: "t", key: "h2"}) { version } }' }));
      },
    );
    expect(version).toBe('1.1');
    expect(status).toBe(200);
    expect(JSON.parse(body)).toEqual({ data: { getEntity: { version: '1' } } });
  });

  it('serves graphql-ws over wss on the same port', async () => {
    const client = createClient({
      url: server.httpUrl.replace(/^https:\/\/127\.0\.0\.1/, 'wss://localhost'),
      webSocketImpl: class extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { ca });
        }
      },
      retryAttempts: 0,
    });
    try {
      const result = await new Promise<unknown>((resolve, reject) => {
        client.subscribe(
          { query: '{ getEntity(input: {domain: "d", type: "t", key: "h2"}) { values } }' },
          { next: resolve, error: reject, complete: () => {} },
        );
      });
      expect(result).toEqual({ data: { getEntity: { values: { via: 'h2' } } } });
    } finally {
      await client.dispose();
    }
  });
});
