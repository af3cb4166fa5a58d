/**
 * Abuse catalogue, REST (issue 8): strict canonical 64-bit input in bodies and query parameters, hostile
 * JSON (deep nesting, `__proto__`/`constructor`/`prototype`, NUL, lone surrogates, invalid UTF-8, wrong
 * content types, truncated JSON, huge numbers), path segments (encoded slashes, `..`, empty, whitespace)
 * and the 413 of a large upload with Content-Length. Each row asserts the exact HTTP status and the
 * google.rpc.Status `code`, an unchanged store, /healthz within 1 s during and after, and no prototype
 * pollution (test/support/abuse/catalogue.ts).
 */

import { request } from 'node:http';
import { type AbuseCase, catalogue, expectOk, expectRest } from '../support/abuse/catalogue.js';
import { http1 } from '../support/abuse/http.js';
import { restCall } from '../support/abuse/requests.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
const MAX_BODY = 4 * 1024 * 1024;

beforeAll(async () => {
  server = await startTestServer({ STATEGATE_MAX_BODY_BYTES: String(MAX_BODY) });
  // ann at version 1: a 64-bit precondition misread as 1 would overwrite her.
  expectOk(await restCall(server.app.url, 'POST', ANN, { values: { a: 1 } }));
});
afterAll(() => server?.close());

const U = () => server.app.url;
const ANN = '/api/entity/ref/abuse/user/ann';
const invalid =
  (send: () => ReturnType<typeof restCall>, status = 400) =>
  async () =>
    expectRest(await send(), status, 'INVALID_ARGUMENT');
const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

/** Canonical decimal strings or JSON integers only (issue 8, "Strict input"). */
const NON_CANONICAL = ['0x1', '0b1', '0o1', ' 1', '1 ', '1e3', '+1', '01', '-0', '', '1.0', '١', '9223372036854775808'];

const int64: AbuseCase[] = [
  ...NON_CANONICAL.map(
    (value): AbuseCase => ({
      name: `Set with version ${JSON.stringify(value)}`,
      transport: 'rest',
      request: `POST ${ANN} {"values":{…},"version":${JSON.stringify(value)}}`,
      expected: '400 INVALID_ARGUMENT',
      run: invalid(() =>
        restCall(U(), 'POST', ANN, `{"values": {"a": 2}, "version": ${JSON.stringify(value)}}`, {
          'content-type': 'application/json',
        }),
      ),
    }),
  ),
  {
    name: 'Edit with version 1.5 (a JSON fraction)',
    transport: 'rest',
    request: `PATCH ${ANN} {"values":{…},"version":1.5}`,
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() =>
      restCall(U(), 'PATCH', ANN, '{"values": {"a": 2}, "version": 1.5}', { 'content-type': 'application/json' }),
    ),
  },
  ...['0x10', '+5', '1e1', '%2010', '010', '16.0', '0b10', '-1', '0', 'ten', '99999999999'].map(
    (value): AbuseCase => ({
      name: `search limit=${value}`,
      transport: 'rest',
      request: `GET /api/entity/search?domain=abuse&type=user&limit=${value}`,
      expected: '400 INVALID_ARGUMENT',
      run: invalid(() => restCall(U(), 'GET', `/api/entity/search?domain=abuse&type=user&limit=${value}`)),
    }),
  ),
  {
    name: 'Get with version=0x1',
    transport: 'rest',
    request: `GET ${ANN}?version=0x1`,
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'GET', `${ANN}?version=0x1`)),
  },
  {
    name: 'Get with at=1e3',
    transport: 'rest',
    request: `GET ${ANN}?at=1e3`,
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'GET', `${ANN}?at=1e3`)),
  },
  {
    name: 'Del with version=%201 (" 1")',
    transport: 'rest',
    request: `DELETE ${ANN}?version=%201`,
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'DELETE', `${ANN}?version=%201`)),
  },
  {
    name: 'Del with version=0b1',
    transport: 'rest',
    request: `DELETE ${ANN}?version=0b1`,
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'DELETE', `${ANN}?version=0b1`)),
  },
  {
    name: 'event search min=0o1',
    transport: 'rest',
    request: 'GET /api/events/search?domain=abuse&limit=1&min=0o1',
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'GET', '/api/events/search?domain=abuse&limit=1&min=0o1')),
  },
];

/** A `__proto__`-like key is stored and read back exactly as sent, or refused; never dropped or merged. */
function verbatimOrRefused(
  name: string,
  method: 'POST' | 'PATCH',
  key: string,
  body: string,
  readBack: string,
): AbuseCase {
  const path = `/api/entity/ref/abuse/user/${key}`;
  return {
    name,
    transport: 'rest',
    request: `${method} ${path} ${body}`,
    expected: '200 stored verbatim | 400 INVALID_ARGUMENT',
    mayWrite: true,
    run: async () => {
      const res = await restCall(U(), method, path, body, { 'content-type': 'application/json' });
      if (res.status !== 200) return expectRest(res, 400, 'INVALID_ARGUMENT');
      const got = await restCall(U(), 'GET', path);
      expectOk(got);
      // Compared as text: a parsed object would hide a dropped `__proto__` key.
      expect(got.text).toContain(readBack);
    },
  };
}

const json: AbuseCase[] = [
  {
    name: 'values nested 33 deep (STATEGATE_JSON_DEPTH is 32)',
    transport: 'rest',
    request: `POST ${ANN} {"values":{"a":{…33…}}}`,
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'POST', ANN, `{"values": ${deep(33)}}`, { 'content-type': 'application/json' })),
  },
  {
    name: 'a body nested 100,000 deep',
    transport: 'rest',
    request: `POST ${ANN} {"values":{"a":[[[…100,000…]]]}}`,
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() =>
      restCall(U(), 'POST', ANN, `{"values": {"a": ${'['.repeat(100_000)}${']'.repeat(100_000)}}}`, {
        'content-type': 'application/json',
      }),
    ),
  },
  {
    name: 'a cache value nested 33 deep',
    transport: 'rest',
    request: 'PUT /api/cache/ref/abuse/c {"value":{…33…}}',
    expected: '400 INVALID_ARGUMENT',
    run: async () => {
      expectRest(
        await restCall(U(), 'PUT', '/api/cache/ref/abuse/deep', `{"value": ${deep(33)}}`, {
          'content-type': 'application/json',
        }),
        400,
        'INVALID_ARGUMENT',
      );
      // The cache is not in the store: check it directly.
      expectRest(await restCall(U(), 'GET', '/api/cache/ref/abuse/deep'), 404, 'NOT_FOUND');
    },
  },
  verbatimOrRefused(
    'a __proto__ key in values',
    'POST',
    'p1',
    '{"values": {"__proto__": {"polluted": true}, "b": 1}}',
    '"values":{"__proto__":{"polluted":true},"b":1}',
  ),
  verbatimOrRefused(
    'constructor.prototype in values',
    'POST',
    'p2',
    '{"values": {"constructor": {"prototype": {"polluted": true}}}}',
    '"values":{"constructor":{"prototype":{"polluted":true}}}',
  ),
  verbatimOrRefused(
    'a nested __proto__ in values',
    'POST',
    'p3',
    '{"values": {"a": {"__proto__": {"isAdmin": true}}}}',
    '"values":{"a":{"__proto__":{"isAdmin":true}}}',
  ),
  verbatimOrRefused(
    'a merge patch adding __proto__ to an entity without one',
    'PATCH',
    'ann',
    '{"values": {"__proto__": {"polluted": true}}}',
    '"__proto__":{"polluted":true}',
  ),
  verbatimOrRefused(
    'a merge patch of constructor.prototype',
    'PATCH',
    'ann',
    '{"values": {"constructor": {"prototype": {"polluted": true}}}}',
    '"constructor":{"prototype":{"polluted":true}}',
  ),
  {
    // `__proto__` is no field of the message: an unknown field, as any other (never a prototype to read from).
    name: 'a top-level __proto__ carrying the fields',
    transport: 'rest',
    request: `POST /api/entity/ref/abuse/user/tp {"__proto__":{"values":{"z":1}}}`,
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() =>
      restCall(U(), 'POST', '/api/entity/ref/abuse/user/tp', '{"__proto__": {"values": {"z": 1}}}', {
        'content-type': 'application/json',
      }),
    ),
  },
  {
    name: 'a top-level constructor field',
    transport: 'rest',
    request: `POST ${ANN} {"values":{},"constructor":{"prototype":{"polluted":true}}}`,
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() =>
      restCall(U(), 'POST', ANN, '{"values": {}, "constructor": {"prototype": {"polluted": true}}}', {
        'content-type': 'application/json',
      }),
    ),
  },
  verbatimOrRefused(
    'a NUL byte in a value',
    'POST',
    'nul',
    '{"values": {"s": "a\\u0000b"}}',
    '"values":{"s":"a\\u0000b"}',
  ),
  verbatimOrRefused(
    'a lone surrogate in a value',
    'POST',
    'lone',
    '{"values": {"s": "\\ud800"}}',
    '"values":{"s":"\\ud800"}',
  ),
  {
    // Names are index keys on every provider (PostgreSQL text cannot hold NUL): strictest reasonable = refuse.
    name: 'a NUL byte in the key (%00)',
    transport: 'rest',
    request: 'POST /api/entity/ref/abuse/user/a%00b',
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'POST', '/api/entity/ref/abuse/user/a%00b', { values: {} })),
  },
  {
    name: 'a control character in the domain (%01)',
    transport: 'rest',
    request: 'POST /api/entity/ref/ab%01use/user/k',
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'POST', '/api/entity/ref/ab%01use/user/k', { values: {} })),
  },
  {
    name: 'a lone surrogate in the key (CESU-8 %ED%A0%80)',
    transport: 'rest',
    request: 'POST /api/entity/ref/abuse/user/k%ED%A0%80',
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'POST', '/api/entity/ref/abuse/user/k%ED%A0%80', { values: {} })),
  },
  {
    name: 'invalid UTF-8 in the body',
    transport: 'rest',
    request: `POST ${ANN} bytes {"values":{"s":"\\xff\\xfe"}}`,
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() =>
      restCall(
        U(),
        'POST',
        ANN,
        Buffer.concat([Buffer.from('{"values": {"s": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]),
        {
          'content-type': 'application/json',
        },
      ),
    ),
  },
  {
    name: 'an overlong UTF-8 encoding of "/" in the body',
    transport: 'rest',
    request: `POST ${ANN} bytes … c0 af …`,
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() =>
      restCall(
        U(),
        'POST',
        ANN,
        Buffer.concat([Buffer.from('{"values": {"s": "'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}}')]),
        {
          'content-type': 'application/json',
        },
      ),
    ),
  },
  {
    name: 'invalid UTF-8 in the path (%FF)',
    transport: 'rest',
    request: 'GET /api/entity/ref/abuse/user/a%FF',
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'GET', '/api/entity/ref/abuse/user/a%FF')),
  },
  {
    name: 'a UTF-16 body',
    transport: 'rest',
    request: `POST ${ANN} UTF-16LE bytes, content-type application/json`,
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() =>
      restCall(U(), 'POST', ANN, Buffer.from('{"values": {"a": 9}}', 'utf16le'), {
        'content-type': 'application/json',
      }),
    ),
  },
  ...[
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'application/jsonx',
    'text/json',
  ].map(
    (type): AbuseCase => ({
      name: `content-type ${type}`,
      transport: 'rest',
      request: `POST ${ANN} content-type: ${type}`,
      expected: '415 INVALID_ARGUMENT',
      run: invalid(() => restCall(U(), 'POST', ANN, '{"values": {"a": 9}}', { 'content-type': type }), 415),
    }),
  ),
  {
    name: 'a body without a content type',
    transport: 'rest',
    request: `PATCH ${ANN} (no content-type)`,
    expected: '415 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'PATCH', ANN, '{"values": {"a": 9}}'), 415),
  },
  ...[
    ['truncated JSON', '{"values": {"a": 9'],
    ['truncated mid-string', '{"values": {"a": "x'],
    ['a trailing comma', '{"values": {"a": 9},}'],
    ['single quotes', "{'values': {'a': 9}}"],
    ['a JSON string body', '"values"'],
    ['a JSON array body', '[{"values": {"a": 9}}]'],
    ['a JSON null body', 'null'],
    ['NaN', '{"values": {"a": NaN}}'],
    ['a number beyond double range', '{"values": {"a": 1e400}}'],
    ['a negative number beyond double range', '{"values": {"a": -1e400}}'],
    ['two JSON documents', '{"values": {"a": 9}}{"values": {}}'],
  ].map(
    ([name, body]): AbuseCase => ({
      name: name as string,
      transport: 'rest',
      request: `POST ${ANN} ${body}`,
      expected: '400 INVALID_ARGUMENT',
      run: invalid(() => restCall(U(), 'POST', ANN, body as string, { 'content-type': 'application/json' })),
    }),
  ),
];

const paths: AbuseCase[] = [
  {
    // The variable matches the encoded path: `a%2Fb` is the key "a/b", never two segments.
    name: 'an encoded slash in the key reads that key, not another route',
    transport: 'rest',
    request: 'GET /api/entity/ref/abuse/user/a%2Fb',
    expected: '404 NOT_FOUND',
    run: async () => {
      const res = await restCall(U(), 'GET', '/api/entity/ref/abuse/user/a%2Fb');
      expectRest(res, 404, 'NOT_FOUND');
      expect(res.text).toContain('abuse/user/a/b');
    },
  },
  {
    name: 'an encoded slash cannot reach a sub-route',
    transport: 'rest',
    request: 'PUT /api/entity/ref/abuse/user/ann%2Frevert {"id": …}',
    expected: '405 UNIMPLEMENTED',
    run: async () =>
      expectRest(
        await restCall(U(), 'PUT', '/api/entity/ref/abuse/user/ann%2Frevert', {
          id: '00000000-0000-4000-8000-000000000000',
        }),
        405,
        'UNIMPLEMENTED',
      ),
  },
  // Strictest reasonable: a dot-segment is refused, never resolved to another entity (a proxy or a policy
  // that reads the path as sent would see one resource, the server would serve another).
  {
    name: 'a raw ".." segment in a read',
    transport: 'rest',
    request: 'GET /api/entity/ref/other/user/../../abuse/user/ann',
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'GET', '/api/entity/ref/other/user/../../abuse/user/ann')),
  },
  {
    name: 'a raw ".." segment in a write',
    transport: 'rest',
    request: 'POST /api/entity/ref/other/../abuse/user/dd {"values":{}}',
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'POST', '/api/entity/ref/other/../abuse/user/dd', { values: {} })),
  },
  {
    name: 'an encoded "%2e%2e" segment in a write',
    transport: 'rest',
    request: 'POST /api/entity/ref/abuse/user/x/%2e%2e {"values":{}}',
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'POST', '/api/entity/ref/abuse/%2e%2e/user/dd', { values: {} })),
  },
  {
    name: 'a "." segment',
    transport: 'rest',
    request: 'DELETE /api/entity/ref/abuse/./user/ann',
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'DELETE', '/api/entity/ref/abuse/./user/ann')),
  },
  {
    name: 'an empty type segment',
    transport: 'rest',
    request: 'POST /api/entity/ref/abuse//ann',
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'POST', '/api/entity/ref/abuse//ann', { values: {} })),
  },
  {
    name: 'an empty key segment (cache)',
    transport: 'rest',
    request: 'PUT /api/cache/ref/abuse/ {"value":1}',
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'PUT', '/api/cache/ref/abuse/', { value: 1 })),
  },
  ...['%20', 'a%20b', '%09', 'a%0Ab', '%E2%80%83' /* em space */, '%C2%A0' /* no-break space */].map(
    (key): AbuseCase => ({
      name: `whitespace in the key (${key})`,
      transport: 'rest',
      request: `POST /api/entity/ref/abuse/user/${key}`,
      expected: '400 INVALID_ARGUMENT',
      run: invalid(() => restCall(U(), 'POST', `/api/entity/ref/abuse/user/${key}`, { values: {} })),
    }),
  ),
  {
    name: 'a key of 257 characters',
    transport: 'rest',
    request: 'POST /api/entity/ref/abuse/user/k×257',
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'POST', `/api/entity/ref/abuse/user/${'k'.repeat(257)}`, { values: {} })),
  },
  {
    name: 'malformed percent-encoding (%zz)',
    transport: 'rest',
    request: 'POST /api/entity/ref/abuse/user/a%zz',
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'POST', '/api/entity/ref/abuse/user/a%zz', { values: {} })),
  },
  {
    name: 'a lone "%" at the end',
    transport: 'rest',
    request: 'GET /api/entity/ref/abuse/user/a%',
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'GET', '/api/entity/ref/abuse/user/a%')),
  },
  {
    name: 'a query string on a body route',
    transport: 'rest',
    request: `POST ${ANN}?version=1 {"values":{}}`,
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'POST', `${ANN}?version=1`, { values: {} })),
  },
  {
    name: 'a duplicated query parameter',
    transport: 'rest',
    request: 'GET /api/entity/search?domain=abuse&type=user&limit=1&limit=1000',
    expected: '400 INVALID_ARGUMENT',
    run: invalid(() => restCall(U(), 'GET', '/api/entity/search?domain=abuse&type=user&limit=1&limit=1000')),
  },
];

/**
 * Sends `total` bytes with a declared Content-Length, in 64 KiB chunks with backpressure, and answers the
 * response as soon as it arrives (the server should answer 413 long before the upload ends). A reset
 * before any answer is the failure the issue describes.
 */
function bigUpload(path: string, total: number, headers: Record<string, string>) {
  const { hostname, port } = new URL(U());
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        method: 'POST',
        path,
        agent: false,
        headers: { ...headers, 'content-length': String(total) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          clearTimeout(timer);
          req.destroy();
          resolve({ status: res.statusCode ?? 0, text });
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error('no answer within 15 s'));
    }, 15_000);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`the upload saw ${err.message} instead of an answer`));
    });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    req.write('{"values": {"blob": "');
    pump();
  });
}

const uploads: AbuseCase[] = [
  {
    name: 'a 50 MB upload with Content-Length',
    transport: 'rest',
    request: `POST ${ANN} content-length: 52428800`,
    expected: '413 RESOURCE_EXHAUSTED',
    run: async () => {
      const res = await bigUpload(ANN, 50 * 1024 * 1024, { 'content-type': 'application/json' });
      expectRest({ ...res, headers: {}, json: JSON.parse(res.text || 'null') }, 413, 'RESOURCE_EXHAUSTED');
    },
  },
  {
    name: 'a 50 MB GraphQL upload with Content-Length',
    transport: 'graphql',
    request: 'POST /api/graphql content-length: 52428800',
    expected: '413 RESOURCE_EXHAUSTED',
    run: async () => {
      const res = await bigUpload('/api/graphql', 50 * 1024 * 1024, { 'content-type': 'application/json' });
      expect(res.status).toBe(413);
      expect(JSON.parse(res.text).errors[0].extensions.code).toBe('RESOURCE_EXHAUSTED');
    },
  },
  {
    // Connect's mapping of RESOURCE_EXHAUSTED is HTTP 429 (connectrpc.com/docs/protocol#error-codes).
    name: 'a 50 MB Connect upload with Content-Length',
    transport: 'connect',
    request: 'POST /stategate.EntityService/Set content-length: 52428800',
    expected: '429 resource_exhausted',
    run: async () => {
      const res = await bigUpload('/stategate.EntityService/Set', 50 * 1024 * 1024, {
        'content-type': 'application/json',
      });
      expect(res.status).toBe(429);
      expect(JSON.parse(res.text).code).toBe('resource_exhausted');
    },
  },
  {
    name: 'a chunked upload past the limit',
    transport: 'rest',
    request: `POST ${ANN} transfer-encoding: chunked, 5 MB`,
    expected: '413 RESOURCE_EXHAUSTED',
    run: async () => {
      const body = `{"values": {"blob": "${'x'.repeat(MAX_BODY + 1024)}"}}`;
      const res = await http1(U(), {
        method: 'POST',
        path: ANN,
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        body,
      }).catch((err: Error) => {
        throw new Error(`the chunked upload saw ${err.message} instead of an answer`);
      });
      expectRest(res, 413, 'RESOURCE_EXHAUSTED');
    },
  },
];

const cases = [...int64, ...json, ...paths, ...uploads];

catalogue('abuse catalogue: REST', cases, { server: () => server });

afterAll(() => {
  process.stdout.write(`abuse-rest: ${cases.length} cases\n`);
});
