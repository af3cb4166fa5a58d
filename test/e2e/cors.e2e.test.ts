/**
 * CORS and nosniff are the port's, one implementation for every transport (src/server/http/cors.ts):
 * the same answer for GraphQL, REST, Connect, gRPC-Web, probes, 404s and the port's own refusals, over
 * HTTP/1.1 and HTTP/2, from STATEGATE_CORS_ALLOW_*. Default: no cross-origin access at all.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { envelope, http1, http2, protoStrings, type RawRequest, tcp } from '../support/abuse/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';
const MAX_BODY = 4096;

let closed: TestServer;
let listed: TestServer;
let star: TestServer;
let credentials: TestServer;

beforeAll(async () => {
  const base = { STATEGATE_MAX_BODY_BYTES: String(MAX_BODY) };
  [closed, listed, star, credentials] = await Promise.all([
    startTestServer(base),
    startTestServer({ ...base, STATEGATE_CORS_ALLOW_ORIGINS: `${APP}, http://localhost:3000` }),
    startTestServer({ ...base, STATEGATE_CORS_ALLOW_ORIGINS: '*' }),
    startTestServer({ ...base, STATEGATE_CORS_ALLOW_ORIGINS: APP, STATEGATE_CORS_ALLOW_CREDENTIALS: 'true' }),
  ]);
});
afterAll(() => Promise.all([closed?.close(), listed?.close(), star?.close(), credentials?.close()]));

/** One request of each face of the port, with what it answers when served. */
const TARGETS: Array<{ name: string; status: number; request: RawRequest }> = [
  {
    name: 'GraphQL',
    status: 200,
    request: {
      method: 'POST',
      path: '/api/graphql',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    },
  },
  { name: 'REST', status: 200, request: { method: 'GET', path: '/api/entity/search?domain=cors&type=t&limit=1' } },
  {
    name: 'Connect',
    status: 200,
    request: {
      method: 'POST',
      path: '/stategate.EntityService/Search',
      headers: { 'content-type': 'application/json' },
      body: '{"domain":"cors","type":"t","limit":1}',
    },
  },
  {
    name: 'gRPC-Web',
    status: 200,
    request: {
      method: 'POST',
      path: '/stategate.EntityService/Search',
      headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' },
      body: envelope(protoStrings([[1, 'cors']])),
    },
  },
  { name: 'a 404', status: 404, request: { method: 'GET', path: '/no/such/path' } },
  { name: '/healthz', status: 200, request: { method: 'GET', path: '/healthz' } },
  { name: '/readyz', status: 200, request: { method: 'GET', path: '/readyz' } },
  {
    name: 'a 413 refused before its body',
    status: 413,
    request: {
      method: 'POST',
      path: '/api/entity/ref/cors/t/big',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ values: { blob: 'x'.repeat(MAX_BODY) } }),
    },
  },
];

function withOrigin(request: RawRequest, origin: string | undefined): RawRequest {
  return origin === undefined ? request : { ...request, headers: { ...request.headers, origin } };
}

type Protocol = 'HTTP/1.1' | 'HTTP/2';
async function send(server: TestServer, protocol: Protocol, request: RawRequest) {
  if (protocol === 'HTTP/1.1') return http1(server.app.url, request);
  const { trailers: _t, ...res } = await http2(server.app.url, { method: 'GET', ...request });
  return res;
}

const corsHeaders = (headers: IncomingHttpHeaders) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('access-control-')));
const varies = (headers: IncomingHttpHeaders) =>
  String(headers.vary ?? '')
    .toLowerCase()
    .split(/\s*,\s*/);

describe.each<Protocol>(['HTTP/1.1', 'HTTP/2'])('CORS over %s, the same on every face of the port', (protocol) => {
  describe.each(TARGETS)('$name', ({ status, request }) => {
    it('default config: no CORS header for any origin (evil, null, a listed-elsewhere one), and nosniff', async () => {
      for (const origin of [EVIL, 'null', APP]) {
        const res = await send(closed, protocol, withOrigin(request, origin));
        expect(res.status).toBe(status);
        expect(corsHeaders(res.headers)).toEqual({});
        expect(res.headers['x-content-type-options']).toBe('nosniff');
      }
    });

    it('a listed origin is echoed exactly with Vary: Origin and the exposed headers; no credentials', async () => {
      const res = await send(listed, protocol, withOrigin(request, APP));
      expect(res.status).toBe(status);
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      expect(varies(res.headers)).toContain('origin');
      expect(String(res.headers['access-control-expose-headers'])).toContain('grpc-status');
      expect(String(res.headers['access-control-expose-headers'])).toContain('retry-after');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    });

    it('an unlisted origin, null and a look-alike get no CORS header, still Vary: Origin', async () => {
      for (const origin of [EVIL, 'null', `${APP}.evil.example`, 'http://app.example.com', `${APP}:444`]) {
        const res = await send(listed, protocol, withOrigin(request, origin));
        expect(res.status).toBe(status);
        expect(corsHeaders(res.headers)).toEqual({});
        expect(varies(res.headers)).toContain('origin');
      }
    });
  });
});

describe('preflights: answered by the port for every path, 204', () => {
  const paths = ['/api/graphql', '/api/entity/ref/d/t/k', '/stategate.EntityService/Set', '/nowhere'];
  const preflight = (path: string, origin: string, requestHeaders = 'authorization, content-type'): RawRequest => ({
    method: 'OPTIONS',
    path,
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': requestHeaders },
  });

  it.each(paths)(
    '%s: an allowed origin gets methods, headers (with the protocol headers) and max-age',
    async (path) => {
      const res = await http1(listed.app.url, preflight(path, APP));
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      expect(res.headers['access-control-allow-methods']).toBe('POST, GET, PUT, PATCH, DELETE');
      const allowed = String(res.headers['access-control-allow-headers']).split(', ');
      expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'connect-protocol-version']));
      expect(allowed).toEqual(
        expect.arrayContaining(['connect-timeout-ms', 'grpc-timeout', 'x-grpc-web', 'x-user-agent']),
      );
      expect(res.headers['access-control-max-age']).toBe('600');
      expect(varies(res.headers)).toContain('origin');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    },
  );

  it.each(paths)('%s: any other origin gets no CORS header at all, on every config', async (path) => {
    for (const server of [closed, listed, credentials]) {
      for (const origin of [EVIL, 'null', 'https://evil-app.example.com', `${APP}/`]) {
        const res = await http1(server.app.url, preflight(path, origin));
        expect(res.status).toBe(204);
        expect(corsHeaders(res.headers)).toEqual({});
      }
    }
  });

  it('over HTTP/2 too', async () => {
    const allowed = await http2(listed.app.url, preflight('/stategate.EntityService/Set', APP));
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(APP);
    const refused = await http2(listed.app.url, preflight('/stategate.EntityService/Set', EVIL));
    expect(refused.status).toBe(204);
    expect(corsHeaders(refused.headers)).toEqual({});
  });

  it('honours STATEGATE_CORS_MAX_AGE_S and STATEGATE_CORS_ALLOW_METHODS', async () => {
    const custom = await startTestServer({
      STATEGATE_CORS_ALLOW_ORIGINS: APP,
      STATEGATE_CORS_ALLOW_METHODS: 'POST',
      STATEGATE_CORS_MAX_AGE_S: '30',
    });
    try {
      const res = await http1(custom.app.url, preflight('/api/graphql', APP));
      expect(res.headers['access-control-allow-methods']).toBe('POST');
      expect(res.headers['access-control-max-age']).toBe('30');
    } finally {
      await custom.close();
    }
  });
});

describe('STATEGATE_CORS_ALLOW_ORIGINS=*', () => {
  it.each(TARGETS.slice(0, 4))(
    '$name: any origin, null too, gets the literal * (never echoed), no credentials',
    async ({ request }) => {
      for (const origin of [EVIL, 'null']) {
        const res = await http1(star.app.url, withOrigin(request, origin));
        expect(res.headers['access-control-allow-origin']).toBe('*');
        expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      }
    },
  );
});

describe('STATEGATE_CORS_ALLOW_CREDENTIALS=true', () => {
  it('sends Allow-Credentials to the listed origin only, on answers and preflights', async () => {
    const answer = await http1(credentials.app.url, withOrigin(TARGETS[0]!.request, APP));
    expect(answer.headers['access-control-allow-origin']).toBe(APP);
    expect(answer.headers['access-control-allow-credentials']).toBe('true');
    const preflight = await http1(credentials.app.url, {
      method: 'OPTIONS',
      path: '/api/graphql',
      headers: { origin: APP, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    const evil = await http1(credentials.app.url, withOrigin(TARGETS[0]!.request, EVIL));
    expect(corsHeaders(evil.headers)).toEqual({});
  });
});

describe('nosniff on the answers Node writes itself', () => {
  it('a request Node cannot parse gets a 400 with nosniff, in the REST error shape', async () => {
    const { text, closedByServer } = await tcp(listed.app.url, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    expect(closedByServer).toBe(true);
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toMatch(/\r\nx-content-type-options: nosniff\r\n/i);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 3 });
  });

  it('headers over the size limit get a 431 with nosniff', async () => {
    const { text } = await tcp(listed.app.url, `GET / HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(text).toMatch(/^HTTP\/1\.1 431 /);
    expect(text).toMatch(/\r\nx-content-type-options: nosniff\r\n/i);
  });

  it('GraphiQL (HTML) carries nosniff too', async () => {
    const res = await http1(closed.app.url, { path: '/api/graphql', headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});
