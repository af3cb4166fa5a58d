import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from '@connectrpc/connect-node';
import { EntityService, EventService, StreamEventOptsSchema } from '../../src/generated/stategate_pb.js';
import { gql } from '../support/graphql.js';
import { fromStruct, GrpcClient, grpc, toStruct } from '../support/grpc.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeSelfSignedCert } from '../support/tls.js';
import { eventSubscribers, uid, until } from './helpers.js';

/**
 * The RPC protocols on the one port, beside GraphQL: gRPC over h2c (prior knowledge) and over TLS (ALPN
 * h2), and gRPC-Web and Connect over HTTP/1.1 and HTTP/2, with connect-es' own Node clients.
 */

const D = 'e2e-rpc-transports';

describe('cleartext: gRPC over h2c on the same port as GraphQL over HTTP/1.1', () => {
  let server: TestServer;
  let client: GrpcClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = new GrpcClient(server.app.url.replace(/^http:\/\//, ''));
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  it('a write over gRPC is read over GraphQL, and the other way round', async () => {
    const key = uid();
    await client.call('EntityService', 'Set', { domain: D, type: 't', key, values: toStruct({ via: 'grpc' }) });
    const read = await gql(
      server.httpUrl,
      'query ($k: String!) { getEntity(input: {domain: "e2e-rpc-transports", type: "t", key: $k}) { values version } }',
      {
        k: key,
      },
    );
    expect(read.data).toEqual({ getEntity: { values: { via: 'grpc' }, version: '1' } });

    const set = await gql(
      server.httpUrl,
      'mutation ($k: String!) { setEntity(input: {domain: "e2e-rpc-transports", type: "t", key: $k, values: {via: "graphql"}}) }',
      {
        k: key,
      },
    );
    expect(set.data).toEqual({ setEntity: true });
    const got = await client.call<{ values: Parameters<typeof fromStruct>[0]; version: string }>(
      'EntityService',
      'Get',
      {
        domain: D,
        type: 't',
        key,
      },
    );
    expect({ values: fromStruct(got.values), version: got.version }).toEqual({
      values: { via: 'graphql' },
      version: '2',
    });

    // Each transport records the same method name.
    const events = await gql<{ searchEvents: { events: { method: string }[] } }>(
      server.httpUrl,
      'query ($q: String!) { searchEvents(input: {domain: "e2e-rpc-transports", type: "t", query_string: $q, limit: 10}) { events { method } } }',
      { q: JSON.stringify({ 'entity.key': key }) },
    );
    expect(events.data?.searchEvents.events.map((e) => e.method)).toEqual([
      '/stategate.EntityService/Set',
      '/stategate.EntityService/Set',
    ]);
  });
});

describe('TLS: ALPN picks h2 for gRPC on the same port as HTTPS GraphQL', () => {
  let server: TestServer;
  let ca: Buffer;
  let client: GrpcClient;
  beforeAll(async () => {
    const cert = makeSelfSignedCert();
    ca = cert.ca;
    server = await startTestServer({ STATEGATE_TLS_CERT_FILE: cert.certFile, STATEGATE_TLS_KEY_FILE: cert.keyFile });
    client = new GrpcClient(server.app.url.replace(/^https:\/\//, ''), {
      credentials: grpc.credentials.createSsl(ca),
      channelOptions: { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' },
    });
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  it('grpc-js with TLS sets and gets; a stream delivers live events', async () => {
    expect(server.app.url).toMatch(/^https:/);
    const key = uid();
    const type = uid('tls');
    const stream = client.stream<{ entity: { key: string } }>('EventService', 'Stream', { domain: D, type });
    try {
      await until(() => eventSubscribers(server) > 0, 'the stream is registered');
      await client.call('EntityService', 'Set', { domain: D, type, key, values: toStruct({ tls: true }) });
      const got = await client.call<{ values: Parameters<typeof fromStruct>[0] }>('EntityService', 'Get', {
        domain: D,
        type,
        key,
      });
      expect(fromStruct(got.values)).toEqual({ tls: true });
      await stream.waitFor(1);
      expect(stream.items[0]?.entity.key).toBe(key);
    } finally {
      stream.cancel();
    }
  });

  it('connect-es gRPC over TLS works too', async () => {
    const sessionManager = new Http2SessionManager(server.app.url.replace('127.0.0.1', 'localhost'), {}, { ca });
    try {
      const transport = createGrpcTransport({
        baseUrl: server.app.url.replace('127.0.0.1', 'localhost'),
        sessionManager,
      });
      const entities = createClient(EntityService, transport);
      const key = uid();
      await entities.set({ domain: D, type: 't', key, values: { over: 'tls' } });
      expect((await entities.get({ domain: D, type: 't', key })).values).toEqual({ over: 'tls' });
    } finally {
      sessionManager.abort();
    }
  });
});

describe('gRPC-Web and Connect with connect-es clients', () => {
  let server: TestServer;
  const sessions: Http2SessionManager[] = [];
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const s of sessions) s.abort();
    await server?.close();
  });

  const transports: [string, () => Transport][] = [
    ['Connect over HTTP/1.1', () => createConnectTransport({ baseUrl: server.app.url, httpVersion: '1.1' })],
    ['gRPC-Web over HTTP/1.1', () => createGrpcWebTransport({ baseUrl: server.app.url, httpVersion: '1.1' })],
    [
      'Connect over HTTP/2',
      () => {
        const sessionManager = new Http2SessionManager(server.app.url);
        sessions.push(sessionManager);
        return createConnectTransport({ baseUrl: server.app.url, httpVersion: '2', sessionManager });
      },
    ],
    [
      'gRPC-Web over HTTP/2',
      () => {
        const sessionManager = new Http2SessionManager(server.app.url);
        sessions.push(sessionManager);
        return createGrpcWebTransport({ baseUrl: server.app.url, httpVersion: '2', sessionManager });
      },
    ],
    [
      'gRPC (connect-es) over h2c',
      () => {
        const sessionManager = new Http2SessionManager(server.app.url);
        sessions.push(sessionManager);
        return createGrpcTransport({ baseUrl: server.app.url, sessionManager });
      },
    ],
  ];

  describe.each(transports)('%s', (_name, makeTransport) => {
    let entities: ReturnType<typeof createClient<typeof EntityService>>;
    let events: ReturnType<typeof createClient<typeof EventService>>;
    beforeAll(() => {
      const transport = makeTransport();
      entities = createClient(EntityService, transport);
      events = createClient(EventService, transport);
    });

    it('a unary call: Set, then Get answers the entity', async () => {
      const key = uid();
      await entities.set({ domain: D, type: 't', key, values: { n: 1, s: 'x' } });
      const entity = await entities.get({ domain: D, type: 't', key });
      expect({ ...entity, $typeName: undefined }).toMatchObject({
        domain: D,
        type: 't',
        key,
        values: { n: 1, s: 'x' },
        version: 1n,
      });
    });

    it('an error keeps its code and message: NOT_FOUND', async () => {
      const err = await entities.get({ domain: D, type: 't', key: uid() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectError);
      expect({ code: Code[(err as ConnectError).code], message: (err as ConnectError).rawMessage }).toEqual({
        code: 'NotFound',
        message: expect.stringMatching(/does not exist/),
      });
    });

    it('a server stream delivers live events, recorded with the gRPC method name', async () => {
      const type = uid('stream');
      const controller = new AbortController();
      const received: { key: string; method: string }[] = [];
      const reading = (async () => {
        try {
          for await (const event of events.stream(create(StreamEventOptsSchema, { domain: D, type }), {
            signal: controller.signal,
          })) {
            received.push({ key: event.entity?.key ?? '', method: event.method });
            if (received.length === 2) break;
          }
        } catch (err) {
          if (!controller.signal.aborted) throw err;
        }
      })();
      await until(() => eventSubscribers(server) > 0, 'the stream is registered');
      await entities.set({ domain: D, type, key: 'a', values: {} });
      await entities.set({ domain: D, type, key: 'b', values: {} });
      await reading;
      controller.abort();
      expect(received).toEqual([
        { key: 'a', method: '/stategate.EntityService/Set' },
        { key: 'b', method: '/stategate.EntityService/Set' },
      ]);
      await until(() => eventSubscribers(server) === 0, 'the stream is closed on the server');
    });
  });
});
