/**
 * Abuse catalogue, CORS and nosniff (issue 8): by default no cross-origin access at all on any transport;
 * a configured list never matches `null`, look-alike origins or another scheme/port/case; `Vary: Origin`;
 * credentials only when configured; `X-Content-Type-Options: nosniff` on every answer (successes, errors,
 * probes, GraphiQL, streams, preflights). Each row also checks the store, /healthz and prototypes
 * (test/support/abuse/catalogue.ts).
 *
 * A preflight is answered 204 whatever the origin (the issue pins no status); a browser refuses the real
 * request when the CORS headers are missing, which is what each disallowed row asserts.
 */

import type { IncomingHttpHeaders } from 'node:http';
import { type AbuseCase, catalogue, expectOk } from '../support/abuse/catalogue.js';
import { http1, http2, type RawRequest } from '../support/abuse/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

const APP = 'https://app.example.com';
let closed: TestServer;
let listed: TestServer;
let withCredentials: TestServer;

beforeAll(async () => {
  [closed, listed, withCredentials] = await Promise.all([
    startTestServer(),
    startTestServer({ STATEGATE_CORS_ALLOW_ORIGINS: `${APP},http://localhost:3000` }),
    startTestServer({ STATEGATE_CORS_ALLOW_ORIGINS: APP, STATEGATE_CORS_ALLOW_CREDENTIALS: 'true' }),
  ]);
});
afterAll(async () => {
  await Promise.all([closed?.close(), listed?.close(), withCredentials?.close()]);
});

type Target = 'graphql' | 'rest' | 'connect' | 'grpc-web';

/** A read-only request of each transport (CORS does not stop a request server-side, so no writes here). */
function readRequest(target: Target, origin: string | undefined): RawRequest {
  const o: Record<string, string> = origin === undefined ? {} : { origin };
  switch (target) {
    case 'graphql':
      return {
        method: 'POST',
        path: '/api/graphql',
        headers: { ...o, 'content-type': 'application/json' },
        body: '{"query": "{ __typename }"}',
      };
    case 'rest':
      return { method: 'GET', path: '/api/entity/search?domain=cors&type=t&limit=1', headers: o };
    case 'connect':
      return {
        method: 'POST',
        path: '/stategate.EntityService/Search',
        headers: { ...o, 'content-type': 'application/json' },
        body: '{"domain": "cors", "type": "t", "limit": 1}',
      };
    case 'grpc-web': {
      // SearchEntityOpts {domain: "cors", type: "t", limit: 1}, framed.
      const message = Buffer.from([0x0a, 4, ...Buffer.from('cors'), 0x12, 1, 0x74, 0x20, 1]);
      const head = Buffer.alloc(5);
      head.writeUInt32BE(message.length, 1);
      return {
        method: 'POST',
        path: '/stategate.EntityService/Search',
        headers: { ...o, 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' },
        body: Buffer.concat([head, message]),
      };
    }
  }
}

const PATHS: Record<Target, string> = {
  graphql: '/api/graphql',
  rest: '/api/entity/search',
  connect: '/stategate.EntityService/Search',
  'grpc-web': '/stategate.EntityService/Search',
};

function preflight(target: Target, origin: string, requestHeaders = 'content-type'): RawRequest {
  return {
    method: 'OPTIONS',
    path: PATHS[target],
    headers: {
      origin,
      'access-control-request-method': target === 'rest' ? 'GET' : 'POST',
      'access-control-request-headers': requestHeaders,
    },
  };
}

const TARGETS: Target[] = ['graphql', 'rest', 'connect', 'grpc-web'];

function expectNoCors(headers: IncomingHttpHeaders): void {
  const cors = Object.keys(headers).filter((h) => h.startsWith('access-control-allow-'));
  if (cors.length > 0) {
    throw new Error(
      `expected no Access-Control-Allow-* header, got ${cors.map((h) => `${h}: ${String(headers[h])}`).join('; ')}`,
    );
  }
}

function expectVaryOrigin(headers: IncomingHttpHeaders): void {
  const vary = String(headers.vary ?? '')
    .toLowerCase()
    .split(/\s*,\s*/);
  if (!vary.includes('origin') && !vary.includes('*'))
    throw new Error(`expected Vary: Origin, got Vary: ${String(headers.vary)}`);
}

function expectNosniff(headers: IncomingHttpHeaders): void {
  if (headers['x-content-type-options'] !== 'nosniff') {
    throw new Error(`expected X-Content-Type-Options: nosniff, got ${String(headers['x-content-type-options'])}`);
  }
}

const cases: AbuseCase[] = [];

// No origin configured: nothing cross-origin, on every transport, for any origin.
for (const target of TARGETS) {
  for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:1`]) {
    cases.push({
      name: `default config, ${origin}`,
      transport: target,
      request: `${readRequest(target, origin).method} ${PATHS[target]} Origin: ${origin}`,
      expected: 'served, no Access-Control-Allow-*',
      on: () => closed,
      run: async () => {
        const res = await http1(closed.app.url, readRequest(target, origin));
        expect(res.status).toBe(200);
        expectNoCors(res.headers);
      },
    });
  }
  cases.push({
    name: 'default config, preflight from https://evil.example',
    transport: target,
    request: `OPTIONS ${PATHS[target]} Origin: https://evil.example`,
    expected: '204, no Access-Control-Allow-*',
    on: () => closed,
    run: async () => {
      const res = await http1(closed.app.url, preflight(target, 'https://evil.example'));
      expect(res.status).toBe(204);
      expectNoCors(res.headers);
    },
  });
}

// A configured list: exact origins only.
const LOOK_ALIKES = [
  'https://evil.example',
  'null',
  'https://app.example.com.evil.example',
  'https://evilapp.example.com',
  'https://app-example.com',
  'http://app.example.com',
  'https://app.example.com:8443',
  'https://APP.EXAMPLE.COM',
  'https://app.example.com/',
  `${APP}, https://evil.example`,
  'https://app.example.co',
  'https://xn--pp-example-9ya.com',
];
for (const target of TARGETS) {
  for (const origin of LOOK_ALIKES) {
    cases.push({
      name: `listed ${APP}, request from ${origin}`,
      transport: target,
      request: `${readRequest(target, origin).method} ${PATHS[target]} Origin: ${origin}`,
      expected: 'no Access-Control-Allow-*, Vary: Origin',
      on: () => listed,
      run: async () => {
        const res = await http1(listed.app.url, readRequest(target, origin));
        expect(res.status).toBe(200);
        expectNoCors(res.headers);
        expectVaryOrigin(res.headers);
      },
    });
  }
  cases.push({
    name: `listed ${APP}, preflight from null`,
    transport: target,
    request: `OPTIONS ${PATHS[target]} Origin: null`,
    expected: '204, no Access-Control-Allow-*',
    on: () => listed,
    run: async () => {
      const res = await http1(listed.app.url, preflight(target, 'null'));
      expect(res.status).toBe(204);
      expectNoCors(res.headers);
    },
  });
  cases.push({
    name: `listed ${APP}, its own request`,
    transport: target,
    request: `${readRequest(target, APP).method} ${PATHS[target]} Origin: ${APP}`,
    expected: `Access-Control-Allow-Origin: ${APP}, Vary: Origin, no credentials`,
    on: () => listed,
    run: async () => {
      const res = await http1(listed.app.url, readRequest(target, APP));
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expectVaryOrigin(res.headers);
    },
  });
  cases.push({
    name: `listed ${APP}, its preflight asking for a header not allowed`,
    transport: target,
    request: `OPTIONS ${PATHS[target]} Origin: ${APP}, Access-Control-Request-Headers: x-evil, authorization`,
    expected: '204, allow-origin, allow-headers without x-evil',
    on: () => listed,
    run: async () => {
      const res = await http1(listed.app.url, preflight(target, APP, 'x-evil, authorization'));
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      const allowed = String(res.headers['access-control-allow-headers'] ?? '')
        .toLowerCase()
        .split(/\s*,\s*/);
      expect(allowed).toContain('authorization');
      expect(allowed).not.toContain('x-evil');
      expect(allowed).not.toContain('*');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    },
  });
}

cases.push(
  {
    name: 'credentials configured: the listed origin gets them',
    transport: 'graphql',
    request: `POST /api/graphql Origin: ${APP} (STATEGATE_CORS_ALLOW_CREDENTIALS=true)`,
    expected: 'allow-origin + allow-credentials: true',
    on: () => withCredentials,
    run: async () => {
      const res = await http1(withCredentials.app.url, readRequest('graphql', APP));
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
    },
  },
  {
    name: 'credentials configured: another origin gets nothing',
    transport: 'rest',
    request: 'GET /api/entity/search Origin: https://evil.example (credentials on)',
    expected: 'no Access-Control-Allow-*',
    on: () => withCredentials,
    run: async () => {
      const res = await http1(withCredentials.app.url, readRequest('rest', 'https://evil.example'));
      expectNoCors(res.headers);
    },
  },
);

// nosniff on every answer: successes, each transport's errors, probes, pages, streams, preflights.
const nosniff: Array<[string, RawRequest]> = [
  ['a GraphQL success', readRequest('graphql', undefined)],
  [
    'a GraphQL syntax error',
    { method: 'POST', path: '/api/graphql', headers: { 'content-type': 'application/json' }, body: '{"query": "{"}' },
  ],
  ['a GraphQL 415', { method: 'POST', path: '/api/graphql', headers: { 'content-type': 'text/plain' }, body: '{}' }],
  ['GraphiQL (text/html)', { method: 'GET', path: '/api/graphql', headers: { accept: 'text/html' } }],
  ['a REST success', readRequest('rest', undefined)],
  ['a REST 404', { method: 'GET', path: '/api/entity/ref/cors/t/nobody' }],
  ['a REST 405', { method: 'PUT', path: '/api/entity/search' }],
  [
    'a REST 415',
    { method: 'POST', path: '/api/entity/ref/cors/t/k', headers: { 'content-type': 'text/plain' }, body: '{}' },
  ],
  ['the OpenAPI document', { method: 'GET', path: '/api/openapi.json' }],
  ['a Connect success', readRequest('connect', undefined)],
  [
    'a Connect error',
    {
      method: 'POST',
      path: '/stategate.EntityService/Get',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    },
  ],
  ['a gRPC-Web answer', readRequest('grpc-web', undefined)],
  ['/healthz', { method: 'GET', path: '/healthz' }],
  ['/readyz', { method: 'GET', path: '/readyz' }],
  ['an unknown path', { method: 'GET', path: '/nothing-here' }],
  ['a preflight', preflight('graphql', APP)],
];
for (const [name, req] of nosniff) {
  cases.push({
    name: `nosniff on ${name}`,
    transport: 'http/1.1',
    request: `${req.method} ${req.path}`,
    expected: 'X-Content-Type-Options: nosniff',
    on: () => listed,
    run: async () => expectNosniff((await http1(listed.app.url, req)).headers),
  });
}
cases.push(
  {
    name: 'nosniff on a server-sent event stream',
    transport: 'sse',
    request: 'GET /api/events/stream?domain=cors (accept: text/event-stream)',
    expected: 'X-Content-Type-Options: nosniff',
    on: () => listed,
    run: async () => {
      const abort = new AbortController();
      const res = await fetch(`${listed.app.url}/api/events/stream?domain=cors`, {
        headers: { accept: 'text/event-stream' },
        signal: abort.signal,
      });
      abort.abort();
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    },
  },
  {
    name: 'nosniff on gRPC over HTTP/2',
    transport: 'grpc',
    request: 'POST /stategate.EntityService/Search (h2c, application/grpc)',
    expected: 'X-Content-Type-Options: nosniff',
    on: () => listed,
    run: async () => {
      const req = readRequest('grpc-web', undefined);
      const res = await http2(listed.app.url, {
        ...req,
        headers: { 'content-type': 'application/grpc', te: 'trailers' },
      });
      expect(res.status).toBe(200);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    },
  },
  {
    name: 'nosniff on REST over HTTP/2',
    transport: 'http/2',
    request: 'GET /api/entity/search (h2c)',
    expected: 'X-Content-Type-Options: nosniff',
    on: () => listed,
    run: async () => {
      const res = await http2(listed.app.url, { method: 'GET', path: '/api/entity/search?domain=cors&type=t&limit=1' });
      expectOk({ status: res.status, text: res.text });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    },
  },
);

catalogue('abuse catalogue: CORS and nosniff', cases, { server: () => listed });

afterAll(() => {
  process.stdout.write(`abuse-cors: ${cases.length} cases\n`);
});
