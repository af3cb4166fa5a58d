/**
 * Bad input over REST (G8): the right status and code, never a 5xx, and never a state change — the
 * store is read before and after every request.
 */

import { rest } from '../support/rest.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { openStore } from './helpers.js';

const MAX_BODY = 64 * 1024;
let server: TestServer;
let store: ReturnType<typeof openStore>;

beforeAll(async () => {
  server = await startTestServer({ STATEGATE_MAX_BODY_BYTES: String(MAX_BODY) });
  // One entity, so that the store is not empty and a bad edit of it has something to change.
  const res = await rest(server.app.url, '/api/entity/ref/bad/user/ann', {
    method: 'POST',
    body: { values: { a: 1 } },
  });
  expect(res.status).toBe(200);
  store = openStore(server);
});
afterAll(async () => {
  store?.close();
  await server?.close();
});

const SET = '/api/entity/ref/bad/user/ann';
const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

interface BadCase {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  status: number;
  code: number;
  message?: RegExp;
}

const cases: BadCase[] = [
  {
    name: 'wrong content type',
    method: 'POST',
    path: SET,
    headers: { 'content-type': 'text/plain' },
    body: '{"values":{"a":2}}',
    status: 415,
    code: 3,
    message: /content-type/,
  },
  {
    name: 'form content type',
    method: 'PATCH',
    path: SET,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'values=1',
    status: 415,
    code: 3,
  },
  {
    name: 'a body without a content type',
    method: 'POST',
    path: SET,
    body: '{"values":{"a":2}}',
    status: 415,
    code: 3,
  },
  {
    name: 'oversized body (Content-Length over the limit)',
    method: 'POST',
    path: SET,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ values: { blob: 'x'.repeat(MAX_BODY) } }),
    status: 413,
    code: 8,
    message: /larger than 65536 bytes/,
  },
  {
    name: 'malformed JSON',
    method: 'POST',
    path: SET,
    headers: { 'content-type': 'application/json' },
    body: '{"values": {"a": 2}',
    status: 400,
    code: 3,
    message: /malformed JSON/,
  },
  {
    name: 'not UTF-8',
    method: 'POST',
    path: SET,
    headers: { 'content-type': 'application/json' },
    body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
    status: 400,
    code: 3,
  },
  {
    name: 'a JSON array instead of an object',
    method: 'POST',
    path: SET,
    headers: { 'content-type': 'application/json' },
    body: '[{"values": {}}]',
    status: 400,
    code: 3,
  },
  {
    name: 'an unknown field',
    method: 'POST',
    path: SET,
    headers: { 'content-type': 'application/json' },
    body: '{"values": {"a": 2}, "valuez": {}}',
    status: 400,
    code: 3,
    message: /valuez/,
  },
  {
    name: 'a wrong type (values a string)',
    method: 'POST',
    path: SET,
    headers: { 'content-type': 'application/json' },
    body: '{"values": "a=2"}',
    status: 400,
    code: 3,
  },
  {
    name: 'a bad int64 (not a number)',
    method: 'POST',
    path: SET,
    headers: { 'content-type': 'application/json' },
    body: '{"values": {"a": 2}, "version": "one"}',
    status: 400,
    code: 3,
  },
  {
    name: 'a bad int64 (a fraction)',
    method: 'PATCH',
    path: SET,
    headers: { 'content-type': 'application/json' },
    body: '{"values": {"a": 2}, "version": 1.5}',
    status: 400,
    code: 3,
  },
  {
    name: 'an int64 beyond 2^63',
    method: 'POST',
    path: SET,
    headers: { 'content-type': 'application/json' },
    body: '{"values": {"a": 2}, "version": "99999999999999999999"}',
    status: 400,
    code: 3,
  },
  {
    name: 'JSON nested too deeply',
    method: 'POST',
    path: SET,
    headers: { 'content-type': 'application/json' },
    body: `{"values": ${deep(5000)}}`,
    status: 400,
    code: 3,
  },
  {
    name: 'values nested deeper than the JSON depth limit (core)',
    method: 'POST',
    path: SET,
    headers: { 'content-type': 'application/json' },
    body: `{"values": ${deep(40)}}`,
    status: 400,
    code: 3,
  },
  {
    name: 'query parameters on a body route',
    method: 'POST',
    path: `${SET}?version=1`,
    headers: { 'content-type': 'application/json' },
    body: '{"values": {"a": 2}}',
    status: 400,
    code: 3,
  },
  {
    name: 'an unknown query parameter',
    method: 'DELETE',
    path: `${SET}?force=true`,
    status: 400,
    code: 3,
    message: /force/,
  },
  { name: 'a bad int64 query parameter', method: 'DELETE', path: `${SET}?version=x`, status: 400, code: 3 },
  {
    name: 'a bad bool query parameter',
    method: 'GET',
    path: '/api/entity/search?domain=bad&type=user&limit=1&sort.reverse=1',
    status: 400,
    code: 3,
  },
  {
    name: 'a repeated singular query parameter',
    method: 'GET',
    path: '/api/entity/search?domain=bad&type=user&limit=1&limit=2',
    status: 400,
    code: 3,
  },
  {
    name: 'the same field under both of its names',
    method: 'GET',
    path: '/api/entity/search?domain=bad&type=user&limit=1&query_string=%7B%7D&queryString=%7B%7D',
    status: 400,
    code: 3,
  },
  {
    name: 'a message given as one query parameter',
    method: 'GET',
    path: '/api/entity/search?domain=bad&type=user&limit=1&sort=time',
    status: 400,
    code: 3,
  },
  {
    name: 'a body on a DELETE',
    method: 'DELETE',
    path: SET,
    headers: { 'content-type': 'application/json' },
    body: '{"version": "1"}',
    status: 400,
    code: 3,
  },
  {
    name: 'malformed percent-encoding in the path',
    method: 'DELETE',
    path: '/api/entity/ref/bad/user/%E0%A4%A',
    status: 400,
    code: 3,
  },
  { name: 'an empty path segment', method: 'DELETE', path: '/api/entity/ref/bad//ann', status: 400, code: 3 },
  {
    name: 'a name with whitespace (core validation)',
    method: 'POST',
    path: '/api/entity/ref/bad/user/an%20n',
    headers: { 'content-type': 'application/json' },
    body: '{"values": {}}',
    status: 400,
    code: 3,
  },
  {
    name: 'a cache exp that is no timestamp',
    method: 'PUT',
    path: '/api/cache/ref/bad/k',
    headers: { 'content-type': 'application/json' },
    body: '{"value": 1, "exp": "tomorrow"}',
    status: 400,
    code: 3,
  },
];

describe('bad input changes nothing and is never a 5xx', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = store.state();
    const res = await rest(server.app.url, c.path, { method: c.method, headers: c.headers, body: c.body });
    expect({ status: res.status, body: res.body }).toEqual({
      status: c.status,
      body: { code: c.code, message: c.message ? expect.stringMatching(c.message) : expect.any(String), details: [] },
    });
    expect(store.state()).toEqual(before);
  });

  it('an oversized chunked body (no Content-Length) is 413 too', async () => {
    const before = store.state();
    const chunk = new TextEncoder().encode(`{"values": {"blob": "${'x'.repeat(MAX_BODY * 2)}"}}`);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await fetch(`${server.app.url}${SET}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ code: 8, message: expect.any(String), details: [] });
    expect(store.state()).toEqual(before);
  });

  it('a body at the limit is read', async () => {
    const envelope = '{"values": {"blob": ""}}'.length;
    const body = JSON.stringify({ values: { blob: 'y'.repeat(MAX_BODY - envelope) } });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_BODY);
    const res = await rest(server.app.url, '/api/entity/ref/bad/user/big', { method: 'POST', body: JSON.parse(body) });
    expect(res.status).toBe(200);
  });
});
