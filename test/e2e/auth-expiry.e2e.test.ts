/**
 * A long-lived stream outlives its token: at the token's `exp` every stream transport ends it with
 * UNAUTHENTICATED and a reason that says to reconnect with a fresh token and resume (REST SSE and NDJSON,
 * GraphQL SSE, gRPC, gRPC-Web, Connect), and graphql-ws closes the socket with 4401 — also a socket
 * running nothing. Each stream first proves it is live by delivering an event.
 */
import { request as httpRequest } from 'node:http';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { EventService } from '../../src/generated/stategate_pb.js';
import { TOKEN_EXPIRED_REASON } from '../../src/server/graphql/ws.js';
import { GrpcClient } from '../support/grpc.js';
import { type JwksServer, nowS, startJwksServer } from '../support/jwks.js';
import { openNdjson, openSse, rest } from '../support/rest.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { subscribers, uid, until } from './helpers.js';

const EXPIRED = 'token expired: reconnect with a fresh token and resume from your last position';

let jwks: JwksServer;
let server: TestServer;
let grpcClient: GrpcClient;
beforeAll(async () => {
  jwks = await startJwksServer();
  server = await startTestServer({ STATEGATE_JWKS_URI: jwks.url });
  grpcClient = new GrpcClient(server.app.url.replace(/^http:\/\//, ''));
});
afterAll(async () => {
  grpcClient?.close();
  await server?.close();
  await jwks?.close();
});

/** A GraphQL subscription over SSE (POST), read with node:http: its events until the server ends it. */
function graphqlSse(query: string, variables: unknown, authorization: string) {
  const events: Array<{ event: string; data: string }> = [];
  let buffer = '';
  const ended = new Promise<void>((resolve, reject) => {
    const req = httpRequest(
      server.httpUrl,
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization } },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          const blocks = buffer.split('\n\n');
          buffer = blocks.pop() ?? '';
          for (const block of blocks) {
            const event = /^event: (.*)$/m.exec(block)?.[1];
            if (event) events.push({ event, data: /^data: ?(.*)$/m.exec(block)?.[1] ?? '' });
          }
        });
        res.on('end', resolve);
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ query, variables }));
  });
  return { events, ended };
}

/** A Connect-protocol or gRPC-Web stream of events through connect-es: its items and how it ended. */
function connectStream(protocol: 'connect' | 'grpc-web', domain: string, authorization: string) {
  const transport =
    protocol === 'connect'
      ? createConnectTransport({ baseUrl: server.app.url, httpVersion: '1.1' })
      : createGrpcWebTransport({ baseUrl: server.app.url, httpVersion: '1.1' });
  const client = createClient(EventService, transport);
  const items: unknown[] = [];
  const ended = (async () => {
    try {
      for await (const item of client.stream({ domain, type: 'user' }, { headers: { authorization } }))
        items.push(item);
      return { code: 'OK', message: '' };
    } catch (err) {
      const e = ConnectError.from(err);
      return { code: Code[e.code], message: e.rawMessage };
    }
  })();
  return { items, ended };
}

it('every stream ends UNAUTHENTICATED at the token expiry, with a reason to reconnect and resume', async () => {
  const domain = uid('expiry');
  const exp = nowS() + 3;
  const authorization = `Bearer ${await jwks.sign({ sub: 'short-lived', exp })}`;

  const sse = await openSse(`${server.app.url}/api/events/stream?domain=${domain}&type=user`, { authorization });
  const ndjson = await openNdjson(`${server.app.url}/api/events/stream?domain=${domain}&type=user`, { authorization });
  const gqlSse = graphqlSse(
    'subscription ($input: StreamEventOpts!) { streamEvents(input: $input) { id claims } }',
    { input: { domain, type: 'user' } },
    authorization,
  );
  const grpcStream = grpcClient.stream('EventService', 'Stream', { domain, type: 'user' }, { authorization });
  const connect = connectStream('connect', domain, authorization);
  const grpcWeb = connectStream('grpc-web', domain, authorization);

  // graphql-ws: one socket with a subscription, one running nothing.
  const closes: Array<{ code: number; reason: string }> = [];
  const wsItems: unknown[] = [];
  const wsErrors: unknown[] = [];
  let wsCompleted = false;
  const sockets = [0, 1].map(() =>
    createWsClient({
      url: server.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization },
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: () => {},
      on: { closed: (e) => closes.push({ code: (e as CloseEvent).code, reason: (e as CloseEvent).reason }) },
    }),
  );
  sockets[0]?.subscribe(
    {
      query: 'subscription ($input: StreamEventOpts!) { streamEvents(input: $input) { id } }',
      variables: { input: { domain, type: 'user' } },
    },
    {
      next: (v) => wsItems.push(v),
      error: (e) => wsErrors.push(e),
      complete: () => {
        wsCompleted = true;
      },
    },
  );

  try {
    await subscribers(server, 'event', 7);
    const set = await rest(server.app.url, `/api/entity/ref/${domain}/user/k`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await jwks.sign({ sub: 'writer' })}` },
      body: { values: { a: 1 } },
    });
    expect(set.status).toBe(200);
    // Live: every stream delivers the event before the token expires.
    await sse.waitFor(1);
    await ndjson.waitFor(1);
    await grpcStream.waitFor(1);
    await until(() => connect.items.length === 1 && grpcWeb.items.length === 1, 'the Connect and gRPC-Web event');
    await until(() => wsItems.length === 1, 'the graphql-ws event');
    await until(() => gqlSse.events.some((e) => e.event === 'next'), 'the GraphQL SSE event');
    expect(Date.now()).toBeLessThan(exp * 1000);

    await Promise.all([sse.ended, ndjson.ended, gqlSse.ended, grpcStream.ended, connect.ended, grpcWeb.ended]);
    await until(() => closes.length === 2, 'both graphql-ws sockets closed', 15_000);
    // None ended before the expiry.
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);

    const sseError = sse.items.at(-1);
    expect(sseError?.event).toBe('error');
    expect(JSON.parse(sseError?.data ?? '{}')).toEqual({ code: 16, message: EXPIRED, details: [] });
    expect(sse.items).toHaveLength(2);
    expect(ndjson.items).toEqual([expect.anything(), { error: { code: 16, message: EXPIRED, details: [] } }]);

    const gqlEvents = gqlSse.events.map((e) => ({ event: e.event, data: e.data === '' ? '' : JSON.parse(e.data) }));
    expect(gqlEvents.at(0)).toMatchObject({
      event: 'next',
      data: { data: { streamEvents: { claims: { sub: 'writer' } } } },
    });
    expect(gqlEvents.slice(1)).toEqual([
      {
        event: 'next',
        data: {
          data: null,
          errors: [expect.objectContaining({ message: EXPIRED, extensions: { code: 'UNAUTHENTICATED' } })],
        },
      },
      { event: 'complete', data: '' },
    ]);

    expect(await grpcStream.ended).toEqual({ code: 16, details: EXPIRED });
    expect(await connect.ended).toEqual({ code: 'Unauthenticated', message: EXPIRED });
    expect(await grpcWeb.ended).toEqual({ code: 'Unauthenticated', message: EXPIRED });

    expect(TOKEN_EXPIRED_REASON).toBe(EXPIRED);
    expect(closes).toEqual([
      { code: 4401, reason: EXPIRED },
      { code: 4401, reason: EXPIRED },
    ]);
    // The subscription saw the end: the operation's UNAUTHENTICATED error or the socket's close.
    // The subscription got its own UNAUTHENTICATED end (and its complete) before the socket closed.
    expect(wsItems).toEqual([
      { data: { streamEvents: { id: expect.any(String) } } },
      {
        data: null,
        errors: [expect.objectContaining({ message: EXPIRED, extensions: { code: 'UNAUTHENTICATED' } })],
      },
    ]);
    expect(wsErrors).toEqual([]);
    expect(wsCompleted).toBe(true);
    await subscribers(server, 'event', 0);
  } finally {
    sse.close();
    ndjson.close();
    grpcStream.cancel();
    await Promise.all(sockets.map((s) => s?.dispose()));
  }
});

it('a token that is already expired cannot open a stream on any of them (see auth-transports for the table)', async () => {
  const authorization = `Bearer ${await jwks.sign({ exp: nowS() - 60 })}`;
  const grpcStream = grpcClient.stream('EventService', 'Stream', { domain: 'x', type: 'user' }, { authorization });
  expect(await grpcStream.ended).toEqual({ code: 16, details: 'token expired' });
  expect(await connectStream('connect', 'x', authorization).ended).toEqual({
    code: 'Unauthenticated',
    message: 'token expired',
  });
});
