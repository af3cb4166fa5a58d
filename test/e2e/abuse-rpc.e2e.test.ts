/**
 * Abuse catalogue, gRPC framing and Connect (issue 8): raw bytes over node:http2 (h2c prior knowledge)
 * and HTTP/1.1 — bad length prefixes, the compressed flag without grpc-encoding, truncated frames,
 * oversize messages, reserved flags, extra messages, malformed protobuf, wrong content types — and the
 * same hostile JSON and 64-bit strings as REST over Connect. Every write targets a new key, so an
 * accepted request would change the store, which each row checks (test/support/abuse/catalogue.ts).
 *
 * Codes: the issue pins none for framing. Strictest reasonable: whatever the client got wrong is
 * INVALID_ARGUMENT (grpc-go answers INTERNAL for some of these; INTERNAL means a server fault here), a
 * message over STATEGATE_MAX_BODY_BYTES is RESOURCE_EXHAUSTED, an unsupported grpc-encoding is
 * UNIMPLEMENTED (PROTOCOL-HTTP2.md), a content type no protocol speaks is HTTP 415.
 */

import { type AbuseCase, catalogue, expectConnect, expectGrpc } from '../support/abuse/catalogue.js';
import { envelope, http1, http2, protoStrings } from '../support/abuse/http.js';
import { connectCall, grpcCall } from '../support/abuse/requests.js';
import { startTestServer, type TestServer } from '../support/server.js';

const MAX_BODY = 64 * 1024;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ STATEGATE_MAX_BODY_BYTES: String(MAX_BODY) });
  const seeded = await connectCall(server.app.url, SET, {
    domain: 'abuse',
    type: 'user',
    key: 'ann',
    values: { a: 1 },
  });
  expect(seeded.status).toBe(200);
});
afterAll(() => server?.close());

const U = () => server.app.url;
const SET = '/stategate.EntityService/Set';
const GET = '/stategate.EntityService/Get';

/** Entity {domain: abuse, type: user, key, values: {}} — a valid Set of a new key. */
const entity = (key: string) =>
  Buffer.concat([
    protoStrings([
      [1, 'abuse'],
      [2, 'user'],
      [3, key],
    ]),
    Buffer.from([0x22, 0x00]),
  ]);

/** A Struct nested `levels` deep: values {a: {a: {…}}} as protobuf (Struct → Value.struct_value → Struct …). */
function nestedStruct(levels: number): Buffer {
  let inner = Buffer.alloc(0); // an empty Struct
  for (let i = 0; i < levels; i++) {
    const value = Buffer.concat([Buffer.from([0x2a]), varint(inner.length), inner]); // Value.struct_value = 5
    const entry = Buffer.concat([Buffer.from([0x0a, 1, 0x61, 0x12]), varint(value.length), value]); // key "a", value
    inner = Buffer.concat([Buffer.from([0x0a]), varint(entry.length), entry]); // Struct.fields = 1
  }
  return inner;
}
function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}
const withValues = (key: string, struct: Buffer) =>
  Buffer.concat([
    protoStrings([
      [1, 'abuse'],
      [2, 'user'],
      [3, key],
    ]),
    Buffer.from([0x22]),
    varint(struct.length),
    struct,
  ]);

const grpc = (
  name: string,
  request: string,
  expected: Parameters<typeof expectGrpc>[1],
  body: () => Buffer,
  headers: Record<string, string> = {},
  path = SET,
): AbuseCase => ({
  name,
  transport: 'grpc',
  request,
  expected: expected as string,
  run: async () => expectGrpc(await grpcCall(U(), path, body(), headers), expected),
});

const framing: AbuseCase[] = [
  grpc(
    'control: a valid Get',
    'Get {abuse,user,ann}',
    'OK',
    () =>
      envelope(
        protoStrings([
          [1, 'abuse'],
          [2, 'user'],
          [3, 'ann'],
        ]),
      ),
    {},
    GET,
  ),
  grpc('a length prefix larger than the bytes sent', 'flags 0, length 1000, 20 bytes, end', 'INVALID_ARGUMENT', () =>
    envelope(entity('g1'), 0, 1000),
  ),
  grpc('a length prefix of 4 GiB - 1', 'flags 0, length 0xffffffff, 20 bytes', 'RESOURCE_EXHAUSTED', () =>
    envelope(entity('g2'), 0, 0xffffffff),
  ),
  grpc('a message over STATEGATE_MAX_BODY_BYTES', 'a 70 KiB message (limit 64 KiB)', 'RESOURCE_EXHAUSTED', () =>
    envelope(Buffer.concat([entity('g3'), Buffer.from([0x7a]), varint(70 * 1024), Buffer.alloc(70 * 1024, 0x61)])),
  ),
  grpc('the compressed flag without grpc-encoding', 'flags 1, no grpc-encoding', 'INVALID_ARGUMENT', () =>
    envelope(entity('g4'), 1),
  ),
  grpc(
    'the compressed flag with grpc-encoding: gzip but no gzip bytes',
    'flags 1, grpc-encoding: gzip, plain bytes',
    'INVALID_ARGUMENT',
    () => envelope(entity('g5'), 1),
    { 'grpc-encoding': 'gzip' },
  ),
  grpc(
    'an unsupported grpc-encoding',
    'grpc-encoding: snappy, flags 1',
    'UNIMPLEMENTED',
    () => envelope(entity('g6'), 1),
    {
      'grpc-encoding': 'snappy',
    },
  ),
  grpc('a truncated frame header', '3 bytes: 00 00 00', 'INVALID_ARGUMENT', () => Buffer.from([0, 0, 0])),
  grpc('no message at all', 'empty body, end of stream', 'INVALID_ARGUMENT', () => Buffer.alloc(0)),
  grpc('two messages for a unary method', 'two frames', 'INVALID_ARGUMENT', () =>
    Buffer.concat([envelope(entity('g7')), envelope(entity('g8'))]),
  ),
  grpc('the trailers flag (0x80, gRPC-Web only) on gRPC', 'flags 0x80', 'INVALID_ARGUMENT', () =>
    envelope(entity('g9'), 0x80),
  ),
  grpc('a reserved flag bit (0x02)', 'flags 0x02', 'INVALID_ARGUMENT', () => envelope(entity('g10'), 0x02)),
  grpc('bytes that are not protobuf', 'ff ×16', 'INVALID_ARGUMENT', () => envelope(Buffer.alloc(16, 0xff))),
  grpc('a string field whose length runs past the message', 'field 3 length 1,000,000', 'INVALID_ARGUMENT', () =>
    envelope(
      Buffer.concat([
        protoStrings([
          [1, 'abuse'],
          [2, 'user'],
        ]),
        Buffer.from([0x1a]),
        varint(1_000_000),
        Buffer.from('k'),
      ]),
    ),
  ),
  grpc('a string field that is not UTF-8', 'key = bytes ff fe', 'INVALID_ARGUMENT', () =>
    envelope(
      Buffer.concat([
        protoStrings([
          [1, 'abuse'],
          [2, 'user'],
        ]),
        Buffer.from([0x1a, 2, 0xff, 0xfe]),
        Buffer.from([0x22, 0]),
      ]),
    ),
  ),
  grpc('values nested 33 deep (STATEGATE_JSON_DEPTH is 32)', 'Struct in Struct ×33', 'INVALID_ARGUMENT', () =>
    envelope(withValues('g11', nestedStruct(33))),
  ),
  grpc(
    'values nested 2,000 deep (a decoder recursion bomb within the size limit)',
    'Struct in Struct ×2,000',
    'INVALID_ARGUMENT',
    () => envelope(withValues('g12', nestedStruct(2000))),
  ),
  grpc('a NUL byte in the key', 'key "a\\0b"', 'INVALID_ARGUMENT', () => envelope(entity('a\u0000b'))),
  grpc('a malformed grpc-timeout', 'grpc-timeout: soon', 'INVALID_ARGUMENT', () => envelope(entity('g13')), {
    'grpc-timeout': 'soon',
  }),
  {
    name: 'a content type no protocol speaks',
    transport: 'grpc',
    request: 'h2 POST Set content-type: application/grpc+xml',
    expected: 'HTTP 415',
    run: async () => {
      const res = await http2(U(), {
        method: 'POST',
        path: SET,
        headers: { 'content-type': 'application/grpc+xml', te: 'trailers' },
        body: envelope(entity('g14')),
      });
      expect(res.status).toBe(415);
    },
  },
  {
    name: 'GET of a gRPC method',
    transport: 'grpc',
    request: 'h2 GET Set content-type: application/grpc',
    expected: 'HTTP 405',
    run: async () => {
      const res = await http2(U(), {
        method: 'GET',
        path: SET,
        headers: { 'content-type': 'application/grpc', te: 'trailers' },
      });
      expect(res.status).toBe(405);
    },
  },
  {
    name: 'an unknown method',
    transport: 'grpc',
    request: 'h2 POST /stategate.EntityService/Nope',
    expected: 'UNIMPLEMENTED',
    run: async () =>
      expectGrpc(await grpcCall(U(), '/stategate.EntityService/Nope', envelope(entity('g15'))), 'UNIMPLEMENTED'),
  },
];

const grpcWeb = (
  name: string,
  request: string,
  expected: string,
  check: (res: Awaited<ReturnType<typeof http1>>) => void,
  body: () => Buffer,
  headers: Record<string, string> = {},
): AbuseCase => ({
  name,
  transport: 'grpc-web',
  request,
  expected,
  run: async () =>
    check(
      await http1(U(), {
        method: 'POST',
        path: SET,
        headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1', ...headers },
        body: body(),
      }),
    ),
});
/** gRPC-Web carries the status in headers (trailers-only) or in a trailer frame at the end of the body. */
function grpcWebStatus(res: Awaited<ReturnType<typeof http1>>): string | undefined {
  const header = res.headers['grpc-status'];
  if (header !== undefined) return String(header);
  return /grpc-status:\s*(\d+)/i.exec(res.text)?.[1];
}
const webExpect = (code: number) => (res: Awaited<ReturnType<typeof http1>>) => {
  expect(res.status).toBe(200);
  expect(grpcWebStatus(res)).toBe(String(code));
};

const web: AbuseCase[] = [
  grpcWeb('a length prefix larger than the bytes sent', 'length 1000, 20 bytes', 'grpc-status 3', webExpect(3), () =>
    envelope(entity('w1'), 0, 1000),
  ),
  grpcWeb('a message over the limit', 'a 70 KiB message', 'grpc-status 8', webExpect(8), () =>
    envelope(Buffer.concat([entity('w2'), Buffer.from([0x7a]), varint(70 * 1024), Buffer.alloc(70 * 1024, 0x61)])),
  ),
  grpcWeb('a truncated frame header', '2 bytes', 'grpc-status 3', webExpect(3), () => Buffer.from([0, 0])),
  grpcWeb('the compressed flag without grpc-encoding', 'flags 1', 'grpc-status 3', webExpect(3), () =>
    envelope(entity('w3'), 1),
  ),
  grpcWeb('bytes that are not protobuf', 'ff ×16', 'grpc-status 3', webExpect(3), () =>
    envelope(Buffer.alloc(16, 0xff)),
  ),
  grpcWeb(
    'a gRPC-Web trailer frame sent by the client',
    'flags 0x80 "grpc-status: 0"',
    'grpc-status 3',
    webExpect(3),
    () => envelope(Buffer.from('grpc-status: 0\r\n'), 0x80),
  ),
];

const connect = (
  name: string,
  request: string,
  status: number,
  code: Parameters<typeof expectConnect>[2],
  body: string | Buffer | object,
  headers?: Record<string, string>,
  path = SET,
): AbuseCase => ({
  name,
  transport: 'connect',
  request,
  expected: `${status} ${code.toLowerCase()}`,
  run: async () => expectConnect(await connectCall(U(), path, body, headers), status, code),
});
const JSON_CT = { 'content-type': 'application/json' };
const set = (key: string, extra: string) =>
  `{"domain": "abuse", "type": "user", "key": "${key}", "values": {"a": 2}${extra}}`;

const connectCases: AbuseCase[] = [
  ...['0x1', '0b1', '0o1', ' 1', '1e3', '+1', '01', '-0'].map((v) =>
    connect(
      `Set of ann with version ${JSON.stringify(v)}`,
      `POST Set {…"version":${JSON.stringify(v)}}`,
      400,
      'INVALID_ARGUMENT',
      set('ann', `, "version": ${JSON.stringify(v)}`),
      JSON_CT,
    ),
  ),
  connect(
    'Get with at " 1"',
    'POST Get {…"at":" 1"}',
    400,
    'INVALID_ARGUMENT',
    '{"domain": "abuse", "type": "user", "key": "ann", "at": " 1"}',
    JSON_CT,
    GET,
  ),
  connect(
    'Search with limit "0x10"',
    'POST EntityService/Search {"limit":"0x10"}',
    400,
    'INVALID_ARGUMENT',
    '{"domain": "abuse", "type": "user", "limit": "0x10"}',
    JSON_CT,
    '/stategate.EntityService/Search',
  ),
  connect(
    'truncated JSON',
    'POST Set {"domain": "abuse", "ty',
    400,
    'INVALID_ARGUMENT',
    '{"domain": "abuse", "ty',
    JSON_CT,
  ),
  connect(
    'a body that is not UTF-8',
    'POST Set bytes 7b ff fe 7d',
    400,
    'INVALID_ARGUMENT',
    Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
    JSON_CT,
  ),
  connect(
    'an unknown field',
    'POST Set {…, "valuez": {}}',
    400,
    'INVALID_ARGUMENT',
    set('c1', ', "valuez": {}'),
    JSON_CT,
  ),
  connect(
    'a top-level __proto__',
    'POST Set {"__proto__": {"domain": …}}',
    400,
    'INVALID_ARGUMENT',
    '{"__proto__": {"domain": "abuse", "type": "user", "key": "c2", "values": {}}}',
    JSON_CT,
  ),
  connect(
    'values nested 33 deep',
    'POST Set {values: {a: {…33…}}}',
    400,
    'INVALID_ARGUMENT',
    `{"domain": "abuse", "type": "user", "key": "c3", "values": ${'{"a":'.repeat(33)}1${'}'.repeat(33)}}`,
    JSON_CT,
  ),
  connect(
    'a body nested 20,000 deep',
    'POST Set {values: {a: [[[…]]]}}',
    400,
    'INVALID_ARGUMENT',
    `{"domain": "abuse", "type": "user", "key": "c4", "values": {"a": ${'['.repeat(20_000)}${']'.repeat(20_000)}}}`,
    JSON_CT,
  ),
  connect(
    'a NUL byte in the key',
    'POST Set {"key": "a\\u0000b"}',
    400,
    'INVALID_ARGUMENT',
    set('a\\u0000b', ''),
    JSON_CT,
  ),
  connect(
    'a lone surrogate in the key',
    'POST Set {"key": "k\\ud800"}',
    400,
    'INVALID_ARGUMENT',
    set('k\\ud800', ''),
    JSON_CT,
  ),
  connect(
    'a number beyond double range',
    'POST Set {values: {a: 1e400}}',
    400,
    'INVALID_ARGUMENT',
    '{"domain": "abuse", "type": "user", "key": "c5", "values": {"a": 1e400}}',
    JSON_CT,
  ),
  connect(
    'a message over the limit',
    'POST Set 70 KiB JSON (limit 64 KiB)',
    429,
    'RESOURCE_EXHAUSTED',
    set('c6', `, "pad": "${'x'.repeat(70 * 1024)}"`),
    JSON_CT,
  ),
  // The streaming protocol's own shape: the error is the end-of-stream frame's JSON.
  {
    name: 'Connect streaming framing with a bad length prefix',
    transport: 'connect',
    request: 'POST /stategate.EventService/Stream application/connect+json, length 1000, 10 bytes',
    expected: '200, end-stream {"error":{"code":"invalid_argument"}}',
    run: async () => {
      const res = await http1(U(), {
        method: 'POST',
        path: '/stategate.EventService/Stream',
        headers: { 'content-type': 'application/connect+json', 'connect-protocol-version': '1' },
        body: envelope(Buffer.from('{"domain":'), 0, 1000),
      });
      expect(res.status).toBe(200);
      // The end-stream frame: flags 0x02, then {"error": {"code": …}}.
      expect(res.text).toMatch(/"error":\{"code":"invalid_argument"/);
    },
  },
];

const cases = [...framing, ...web, ...connectCases];

catalogue('abuse catalogue: gRPC framing, gRPC-Web and Connect', cases, { server: () => server });

afterAll(() => {
  process.stdout.write(`abuse-rpc: ${cases.length} cases\n`);
});
