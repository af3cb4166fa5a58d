import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { EventService } from '../../src/generated/stategate_pb.js';
import { collect, gql, wsClient } from '../support/graphql.js';
import { GrpcClient } from '../support/grpc.js';
import { type JwksServer, startJwksServer } from '../support/jwks.js';
import { openSse, rest } from '../support/rest.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type EventOut, eventSubscribers, openStore, Q, uid, until } from './helpers.js';
import { DENIED_STATUS, POLICY_TRANSPORTS, type PolicyClients, policyBase64, policyClients } from './policy-helpers.js';

/**
 * The README's worked example: JWT authentication against a JWKS, and a request policy
 * (test/fixtures/policies/own-domain.rego) that lets each user read and write only the domain named by its
 * token's `sub`. The same calls are allowed and denied alike on all five transports and on the streams, and
 * every event records the claims of the user who caused it.
 */

let jwks: JwksServer;
let server: TestServer;
let grpcClient: GrpcClient;
let clients: PolicyClients;
let store: ReturnType<typeof openStore>;
const alice = uid('alice');
const bob = uid('bob');
const auth: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  jwks = await startJwksServer();
  server = await startTestServer({
    STATEGATE_JWKS_URI: jwks.url,
    STATEGATE_REQUEST_POLICY: policyBase64('own-domain'),
  });
  grpcClient = new GrpcClient(server.app.url.replace(/^http:\/\//, ''));
  clients = policyClients(server, grpcClient);
  store = openStore(server);
  for (const sub of [alice, bob]) {
    auth[sub] = { authorization: `Bearer ${await jwks.sign({ sub, expiresInS: 600, claims: { role: 'tester' } })}` };
  }
  // Bob owns one entity, written by himself.
  expect(await clients.set('rest', { domain: bob, type: 'doc', key: 'b1' }, { owner: 'bob' }, auth[bob])).toEqual({
    ok: true,
    value: true,
  });
});
afterAll(async () => {
  store?.close();
  grpcClient?.close();
  await server?.close();
  await jwks?.close();
});

describe.each(POLICY_TRANSPORTS)('%s', (transport) => {
  const mine = { domain: alice, type: 'doc', key: uid() };
  const denied = { ok: false, code: 'PERMISSION_DENIED', status: DENIED_STATUS[transport] };

  it('alice writes and reads her own domain', async () => {
    expect(await clients.set(transport, mine, { by: transport }, auth[alice])).toEqual({ ok: true, value: true });
    expect(await clients.get(transport, mine, auth[alice])).toEqual({ ok: true, value: { by: transport } });
    const found = await clients.searchEntities(transport, alice, 'doc', auth[alice]);
    expect(found.ok && (found.value as string[]).includes(mine.key)).toBe(true);
  });

  it("alice can neither write nor read bob's domain, and nothing changes", async () => {
    const before = store.state();
    const bobs = { domain: bob, type: 'doc', key: 'b1' };
    expect(await clients.set(transport, bobs, { owner: 'alice' }, auth[alice])).toEqual(denied);
    expect(await clients.set(transport, { ...bobs, key: uid() }, { owner: 'alice' }, auth[alice])).toEqual(denied);
    expect(await clients.del(transport, bobs, auth[alice])).toEqual(denied);
    expect(await clients.get(transport, bobs, auth[alice])).toEqual(denied);
    expect(await clients.searchEntities(transport, bob, 'doc', auth[alice])).toEqual(denied);
    expect(await clients.searchEvents(transport, bob, 'doc', auth[alice])).toEqual(denied);
    expect(store.state()).toEqual(before);
  });

  it("bob still reads his own entity, untouched; and cannot read alice's", async () => {
    expect(await clients.get(transport, { domain: bob, type: 'doc', key: 'b1' }, auth[bob])).toEqual({
      ok: true,
      value: { owner: 'bob' },
    });
    expect(await clients.get(transport, mine, auth[bob])).toEqual(denied);
  });
});

describe('claims are recorded in the events', () => {
  it("each of alice's events carries her verified claims and the method", async () => {
    const res = await gql<{ searchEvents: { events: EventOut[] } }>(
      server.httpUrl,
      Q.searchEvents,
      { input: { domain: alice, type: 'doc', limit: 100 } },
      auth[alice],
    );
    const events = res.data?.searchEvents.events ?? [];
    expect(events).toHaveLength(POLICY_TRANSPORTS.length);
    for (const event of events) {
      expect(event.claims).toMatchObject({ sub: alice, role: 'tester', exp: expect.any(Number) });
      expect(event.method).toBe('/stategate.EntityService/Set');
    }
  });
});

/** The codes a refused graphql-ws subscription ended with (an errors payload, or an error message). */
async function refusal(subscription: ReturnType<typeof collect>): Promise<(string | undefined)[] | undefined> {
  const failure = await subscription.done.then(
    () => undefined,
    (err: unknown) => err,
  );
  const errors = subscription.items[0]?.errors ?? (Array.isArray(failure) ? failure : undefined);
  return errors?.map((e: { extensions?: { code?: string } }) => e.extensions?.code);
}

describe('streams: opened only on her own domain, with the real stream options', () => {
  const sessions: Http2SessionManager[] = [];
  afterAll(() => {
    for (const s of sessions) s.abort();
  });
  const grpcEvents = () => {
    const sessionManager = new Http2SessionManager(server.app.url);
    sessions.push(sessionManager);
    return createClient(EventService, createGrpcTransport({ baseUrl: server.app.url, sessionManager }));
  };

  it('graphql-ws: her own domain streams her events with her claims; all domains or bob’s are denied', async () => {
    await until(() => eventSubscribers(server) === 0, 'no other subscriber');
    const client = wsClient(server.wsUrl, { authorization: auth[alice]!.authorization });
    try {
      const type = uid('ws');
      const own = collect<{ streamEvents: EventOut }>(client, Q.streamEvents, { input: { domain: alice, type } });
      await until(() => eventSubscribers(server) === 1, 'the subscription is registered');
      await clients.set('grpc', { domain: alice, type, key: 'k' }, { live: true }, auth[alice]);
      await own.waitFor(1);
      expect(own.items[0]?.data?.streamEvents).toMatchObject({ entity: { key: 'k' }, claims: { sub: alice } });
      own.stop();

      for (const input of [{ domain: bob }, { type }]) {
        expect(await refusal(collect(client, Q.streamEvents, { input }))).toEqual(['PERMISSION_DENIED']);
      }
    } finally {
      await client.dispose();
    }
  });

  it('SSE: her own domain streams her events; bob’s is refused with 403 before any event', async () => {
    const type = uid('sse');
    const own = await openSse(`${server.app.url}/api/events/stream?domain=${alice}&type=${type}`, auth[alice]);
    try {
      expect(own.response.status).toBe(200);
      // The server writes this comment once core has admitted and opened the stream.
      await until(() => own.comments.includes('stream open'), 'the SSE stream is open');
      await clients.set('grpc', { domain: alice, type, key: 's1' }, { live: true }, auth[alice]);
      const [event] = await own.waitFor(1);
      expect(JSON.parse(event!.data)).toMatchObject({ entity: { key: 's1' }, claims: { sub: alice } });
    } finally {
      own.close();
    }
    const refused = await rest(server.app.url, `/api/events/stream?domain=${bob}`, {
      headers: { ...auth[alice], accept: 'text/event-stream' },
    });
    expect({ status: refused.status, body: refused.body }).toEqual({
      status: 403,
      body: { code: 7, message: expect.any(String), details: [] },
    });
  });

  it('gRPC: her own domain streams; a stream of every domain is PERMISSION_DENIED', async () => {
    const events = grpcEvents();
    const type = uid('grpc');
    await until(() => eventSubscribers(server) === 0, 'the earlier streams are gone');
    const abort = new AbortController();
    const received: string[] = [];
    const reading = (async () => {
      for await (const event of events.stream(
        { domain: alice, type },
        { headers: auth[alice], signal: abort.signal },
      )) {
        received.push(event.entity?.key ?? '');
        if (received.length === 1) abort.abort();
      }
    })().catch(() => {});
    await until(() => eventSubscribers(server) === 1, 'the gRPC stream is registered');
    await clients.set('rest', { domain: alice, type, key: 'g1' }, { live: true }, auth[alice]);
    await reading;
    expect(received).toEqual(['g1']);

    const err = await (async () => {
      for await (const _ of events.stream({ type }, { headers: auth[alice] })) return null;
      return null;
    })().catch((e: unknown) => ConnectError.from(e));
    expect(err?.code).toBe(Code.PermissionDenied);
  });
});
