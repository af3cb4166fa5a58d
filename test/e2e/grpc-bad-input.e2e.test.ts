import { connect as h2connect } from 'node:http2';
import { connect as tcpConnect } from 'node:net';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-node';
import { EntityService } from '../../src/generated/stategate_pb.js';
import { GrpcClient, grpc, grpcError, toStruct } from '../support/grpc.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { openStore, uid } from './helpers.js';

/**
 * Bad input on the RPC protocols (DESIGN.md G8): the right code, never an HTTP 5xx, and no state change.
 *
 * Request bytes that are not valid protobuf are INVALID_ARGUMENT on every protocol: connect-es itself
 * says INTERNAL for them (HTTP 500 in the Connect protocol), which src/transports/connect/errors.ts
 * corrects, as connect-go answers. A message above STATEGATE_MAX_BODY_BYTES is RESOURCE_EXHAUSTED
 * (Connect: HTTP 429), a content type no protocol speaks is HTTP 415, and broken JSON is INVALID_ARGUMENT (400).
 */

let server: TestServer;
let store: ReturnType<typeof openStore>;
let client: GrpcClient;
const D = 'e2e-rpc-bad';
const SET = '/stategate.EntityService/Set';

beforeAll(async () => {
  server = await startTestServer({ STATEGATE_MAX_BODY_BYTES: String(64 * 1024) });
  store = openStore(server);
  client = new GrpcClient(server.app.url.replace(/^http:\/\//, ''));
});

afterAll(async () => {
  client?.close();
  store?.close();
  await server?.close();
});

/** Runs `fn` and asserts the store holds exactly what it held before. */
async function unchanged(fn: () => Promise<void>): Promise<void> {
  const before = store.state();
  await fn();
  expect(store.state()).toEqual(before);
}

/** protobuf bytes of Entity {domain: D, type: "t", key: K} with `values` (field 4) cut short. */
function truncatedEntity(key: string): Buffer {
  const str = (field: number, value: string) =>
    Buffer.concat([Buffer.from([(field << 3) | 2, value.length]), Buffer.from(value)]);
  return Buffer.concat([str(1, D), str(2, 't'), str(3, key), Buffer.from([(4 << 3) | 2, 0x20, 0x0a])]);
}
/** A gRPC / gRPC-Web / Connect-streaming envelope: flags, big-endian length, message. */
function envelope(message: Buffer, flags = 0): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** One raw HTTP/2 request (h2c prior knowledge): status, headers, trailers and body. */
async function h2(path: string, headers: Record<string, string>, body: Buffer) {
  const session = h2connect(server.app.url);
  try {
    const req = session.request({ ':method': 'POST', ':path': path, ...headers });
    req.end(body);
    const [status, trailers, chunks] = await Promise.all([
      new Promise<number>((resolve) => req.once('response', (h) => resolve(Number(h[':status'])))),
      new Promise<Record<string, unknown>>((resolve) => {
        req.once('trailers', (t) => resolve(t));
        req.once('end', () => resolve({}));
      }),
      (async () => {
        const parts: Buffer[] = [];
        for await (const chunk of req) parts.push(chunk as Buffer);
        return Buffer.concat(parts);
      })(),
    ]);
    return { status, trailers, body: chunks };
  } finally {
    session.close();
  }
}

describe('a content type no protocol speaks', () => {
  it('is 415 over HTTP/1.1 and HTTP/2, and changes nothing', async () => {
    await unchanged(async () => {
      const body = JSON.stringify({ domain: D, type: 't', key: uid(), values: { a: 1 } });
      const h1 = await fetch(`${server.app.url}${SET}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body,
      });
      expect(h1.status).toBe(415);
      const viaH2 = await h2(SET, { 'content-type': 'text/plain' }, Buffer.from(body));
      expect(viaH2.status).toBe(415);
    });
  });

  it('an HTTP/1.0 request without a Host header is 400, and the server keeps serving', async () => {
    const { port } = server.app;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = tcpConnect(port, '127.0.0.1', () => {
        socket.end(`POST ${SET} HTTP/1.0\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}`);
      });
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        text += chunk;
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.[01] 400 /);
    expect(answer).toContain('request authority');
    expect((await fetch(`${server.app.url}/stategate.EntityService/Get`, { method: 'OPTIONS' })).status).toBe(405);
  });

  it('GET of a unary rpc is 405', async () => {
    const res = await fetch(`${server.app.url}${SET}`);
    expect(res.status).toBe(405);
  });
});

describe('a message larger than STATEGATE_MAX_BODY_BYTES (64 KiB here)', () => {
  const big = 'x'.repeat(64 * 1024 + 1);

  it('one just below it passes', async () => {
    const key = uid();
    const small = 'x'.repeat(60 * 1024);
    await client.call('EntityService', 'Set', { domain: D, type: 't', key, values: toStruct({ small }) });
  });

  it('is RESOURCE_EXHAUSTED over gRPC (grpc-js)', async () => {
    await unchanged(async () => {
      await grpcError(
        client.call('EntityService', 'Set', { domain: D, type: 't', key: uid(), values: toStruct({ big }) }),
        grpc.status.RESOURCE_EXHAUSTED,
      );
    });
  });

  it('is RESOURCE_EXHAUSTED over gRPC-Web and HTTP 429 over Connect', async () => {
    await unchanged(async () => {
      const entities = createClient(
        EntityService,
        createGrpcWebTransport({ baseUrl: server.app.url, httpVersion: '1.1' }),
      );
      const err = await entities.set({ domain: D, type: 't', key: uid(), values: { big } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectError);
      expect(Code[(err as ConnectError).code]).toBe('ResourceExhausted');

      const res = await fetch(`${server.app.url}${SET}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ domain: D, type: 't', key: uid(), values: { big } }),
      });
      expect(res.status).toBe(429);
      expect(await res.json()).toMatchObject({ code: 'resource_exhausted' });
    });
  });
});

describe('request bytes that are not valid protobuf', () => {
  it('are INVALID_ARGUMENT over gRPC (grpc-js, raw bytes)', async () => {
    await unchanged(async () => {
      const raw = new grpc.Client(server.app.url.replace(/^http:\/\//, ''), grpc.credentials.createInsecure());
      try {
        const call = new Promise<Buffer>((resolve, reject) =>
          raw.makeUnaryRequest(
            SET,
            (b: Buffer) => b,
            (b: Buffer) => b,
            truncatedEntity(uid()),
            (err, value) => (err ? reject(err) : resolve(value!)),
          ),
        );
        expect(await grpcError(call, grpc.status.INVALID_ARGUMENT)).toMatch(/parse binary/);
      } finally {
        raw.close();
      }
    });
  });

  it('are HTTP 400 invalid_argument over Connect (application/proto), not a 5xx', async () => {
    await unchanged(async () => {
      const res = await fetch(`${server.app.url}${SET}`, {
        method: 'POST',
        headers: { 'content-type': 'application/proto' },
        body: new Uint8Array(truncatedEntity(uid())),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        code: 'invalid_argument',
        message: expect.stringMatching(/parse binary/),
      });
    });
  });

  it('are INVALID_ARGUMENT over gRPC-Web (status in the trailer frame) and Connect streaming', async () => {
    await unchanged(async () => {
      const web = await fetch(`${server.app.url}${SET}`, {
        method: 'POST',
        headers: { 'content-type': 'application/grpc-web+proto' },
        body: new Uint8Array(envelope(truncatedEntity(uid()))),
      });
      expect(web.status).toBe(200);
      const bytes = Buffer.from(await web.arrayBuffer());
      // The only frame is the trailer frame (flag 0x80): "grpc-status: 3\r\ngrpc-message: …".
      expect(bytes.readUInt8(0)).toBe(0x80);
      expect(bytes.subarray(5).toString()).toMatch(/grpc-status: ?3\r\n/);

      const stream = await fetch(`${server.app.url}/stategate.EventService/Stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/connect+proto' },
        body: new Uint8Array(envelope(Buffer.from([0x0a, 0x09, 0x61]))),
      });
      expect(stream.status).toBe(200);
      const end = Buffer.from(await stream.arrayBuffer());
      expect(end.readUInt8(0)).toBe(0x02); // end-stream frame
      expect(JSON.parse(end.subarray(5).toString())).toMatchObject({ error: { code: 'invalid_argument' } });
    });
  });

  it('an incomplete gRPC envelope is INVALID_ARGUMENT', async () => {
    await unchanged(async () => {
      const res = await h2(
        SET,
        { 'content-type': 'application/grpc', te: 'trailers' },
        envelope(truncatedEntity(uid())).subarray(0, 8),
      );
      expect(res.status).toBe(200);
      expect(res.trailers['grpc-status']).toBe(String(grpc.status.INVALID_ARGUMENT));
    });
  });
});

describe('broken JSON over Connect', () => {
  it('is HTTP 400 invalid_argument', async () => {
    await unchanged(async () => {
      for (const body of ['{not json', '{"domain": 1}', '{"values": "not an object"}']) {
        const res = await fetch(`${server.app.url}${SET}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
        expect(await res.json()).toMatchObject({ code: 'invalid_argument' });
      }
    });
  });
});
