import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { EventService, StreamEventOptsSchema } from '../../src/generated/stategate_pb.js';
import { GrpcClient, grpc, toStruct } from '../support/grpc.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { eventSubscribers, uid, until } from './helpers.js';

/**
 * Streams that the server ends: a subscriber too slow for its buffer is cut off with RESOURCE_EXHAUSTED,
 * and shutdown ends every stream with UNAVAILABLE; both carry core's message, on every protocol.
 */

const D = 'e2e-rpc-stream-end';

describe('a gRPC subscriber that stops reading', () => {
  const BUFFER = 4;
  const BLOB = 'x'.repeat(64 * 1024);
  let server: TestServer;
  let client: GrpcClient;
  beforeAll(async () => {
    server = await startTestServer({ STATEGATE_STREAM_BUFFER: String(BUFFER) });
    client = new GrpcClient(server.app.url.replace(/^http:\/\//, ''));
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  it('is cut off with RESOURCE_EXHAUSTED and core message, after the items already sent', async () => {
    const type = uid('slow');
    const slow = client.stream<{ entity: { key: string } }>('EventService', 'Stream', { domain: D, type });
    await until(() => eventSubscribers(server) === 1, 'the stream is registered');
    await client.call('EntityService', 'Set', { domain: D, type, key: 'first', values: toStruct({}) });
    await slow.waitFor(1);
    slow.call.pause();

    // Write big events until the server gives up on the paused reader (flow control stops its writes).
    let written = 0;
    while (eventSubscribers(server) > 0) {
      if (written >= 400) throw new Error('the slow subscriber was never cut off');
      await client.call('EntityService', 'Set', { domain: D, type, key: `k${written++}`, values: toStruct({ BLOB }) });
    }
    slow.call.resume();
    const ended = await slow.ended;
    expect(ended).toEqual({
      code: grpc.status.RESOURCE_EXHAUSTED,
      details: expect.stringMatching(/buffer of 4 items overflowed/),
    });
    // It got the events written before it fell behind, in order, and then the status; not all of them.
    expect(slow.items.length).toBeLessThan(written + 1);
    expect(slow.items.map((e) => e.entity.key)).toEqual([
      'first',
      ...Array.from({ length: slow.items.length - 1 }, (_, i) => `k${i}`),
    ]);
  });
});

describe('shutdown', () => {
  it('ends gRPC and Connect streams and health watches with UNAVAILABLE, promptly', async () => {
    const server = await startTestServer({ STATEGATE_SHUTDOWN_TIMEOUT_MS: '20000' });
    const address = server.app.url.replace(/^http:\/\//, '');
    const client = new GrpcClient(address);
    const raw = new grpc.Client(address, grpc.credentials.createInsecure());
    try {
      const grpcStream = client.stream('EventService', 'Stream', { domain: D });

      const events = createClient(
        EventService,
        createConnectTransport({ baseUrl: server.app.url, httpVersion: '1.1' }),
      );
      const connectEnded = (async () => {
        try {
          for await (const _ of events.stream(create(StreamEventOptsSchema, { domain: D }))) {
            // no events are written
          }
          return { code: 'OK', message: '' };
        } catch (err) {
          const e = ConnectError.from(err);
          return { code: Code[e.code], message: e.rawMessage };
        }
      })();

      // grpc.health.v1.Health/Watch of the whole server (an empty request); answers are status numbers.
      const statuses: number[] = [];
      const watch = raw.makeServerStreamRequest(
        '/grpc.health.v1.Health/Watch',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
      );
      watch.on('data', (b: Buffer) => statuses.push(b.length === 2 ? b[1]! : 0));
      const watchEnded = new Promise<grpc.StatusObject>((resolve) => watch.on('status', resolve));
      watch.on('error', () => {});

      await until(() => eventSubscribers(server) === 2 && statuses.length === 1, 'both streams and the watch are open');
      const started = Date.now();
      await server.close();
      expect(Date.now() - started).toBeLessThan(5_000);

      expect(await grpcStream.ended).toEqual({
        code: grpc.status.UNAVAILABLE,
        details: expect.stringMatching(/^server is shutting down: reconnect and resume after position \d+$/),
      });
      expect(await connectEnded).toEqual({
        code: 'Unavailable',
        message: expect.stringMatching(/^server is shutting down: reconnect and resume after position \d+$/),
      });
      const SERVING = 1;
      const NOT_SERVING = 2;
      expect(statuses).toEqual([SERVING, NOT_SERVING]);
      expect((await watchEnded).code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      raw.close();
      client.close();
      await server.close();
    }
  });
});
