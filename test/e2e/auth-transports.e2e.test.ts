/**
 * Authentication on every transport of the port (issue 8 item 1): one table of refused credentials, each
 * tried on REST, REST SSE, GraphQL over HTTP, GraphQL SSE, graphql-ws, gRPC (grpc-js over h2c), gRPC-Web
 * and Connect, asserting the exact status / code / close code, the bearer challenge where HTTP has headers
 * for it, the general message, and that no state changed. A valid token works on all of them, and the
 * verified claims are recorded in the events and peer messages it writes.
 */
import { collect, gql, wsClient } from '../support/graphql.js';
import { fromStruct, GrpcClient, type GrpcStruct } from '../support/grpc.js';
import {
  hmacWithPublicKey,
  type JwksServer,
  nowS,
  type SignOptions,
  signToken,
  startJwksServer,
  unsignedToken,
} from '../support/jwks.js';
import { openSse, rest } from '../support/rest.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type Answer, type AuthTarget, callWith, TRANSPORTS, type TransportName, wsConnect } from './auth-helpers.js';
import { openStore, Q, subscribers, uid } from './helpers.js';

const ISS = 'https://idp.stategate.test';
const AUD = 'stategate-e2e';
const MAX_TOKEN_BYTES = 2048;
const D = 'e2e-auth';

let jwks: JwksServer;
let attacker: JwksServer;
let server: TestServer;
let grpcClient: GrpcClient;
let store: ReturnType<typeof openStore>;
let target: AuthTarget;

beforeAll(async () => {
  jwks = await startJwksServer();
  attacker = await startJwksServer();
  server = await startTestServer({
    STATEGATE_JWKS_URI: jwks.url,
    STATEGATE_JWT_ISSUER: ISS,
    STATEGATE_JWT_AUDIENCE: AUD,
    STATEGATE_JWT_MAX_BYTES: String(MAX_TOKEN_BYTES),
  });
  grpcClient = new GrpcClient(server.app.url.replace(/^http:\/\//, ''));
  store = openStore(server);
  target = { server, grpc: grpcClient, domain: D };
});
afterAll(async () => {
  store?.close();
  grpcClient?.close();
  await server?.close();
  await attacker?.close();
  await jwks?.close();
});

/** A token the server accepts, but for `options`. */
const token = (options: SignOptions = {}) => jwks.sign({ iss: ISS, aud: AUD, ...options });
const bearer = async (options: SignOptions = {}) => `Bearer ${await token(options)}`;

interface Case {
  name: string;
  authorization: () => Promise<string | undefined>;
  /** The general message every transport carries. */
  message: string;
  /** Whether a credential was presented (the challenge then says error="invalid_token"). */
  presented: boolean;
  /** A further check after the call. */
  after?: () => void;
}

const cases: Case[] = [
  {
    name: 'no Authorization',
    authorization: async () => undefined,
    message: 'missing bearer token: send Authorization: Bearer <jwt>',
    presented: false,
  },
  {
    name: 'Basic credentials',
    authorization: async () => 'Basic dXNlcjpwYXNzd29yZA==',
    message: 'unsupported authorization scheme: send Authorization: Bearer <jwt>',
    presented: true,
  },
  {
    name: 'Bearer with nothing',
    authorization: async () => 'Bearer',
    message: 'missing bearer token after Bearer',
    presented: true,
  },
  {
    name: 'garbage after Bearer',
    authorization: async () => 'Bearer ;;garbage!!',
    message: 'bearer token malformed',
    presented: true,
  },
  {
    name: 'three segments of garbage',
    authorization: async () => 'Bearer Zm9v.YmFy.YmF6',
    message: 'token malformed',
    presented: true,
  },
  {
    name: 'expired',
    authorization: () => bearer({ exp: nowS() - 120 }),
    message: 'token expired',
    presented: true,
  },
  {
    name: 'not yet valid',
    authorization: () => bearer({ nbf: nowS() + 120 }),
    message: 'token not yet valid',
    presented: true,
  },
  {
    name: 'no exp',
    authorization: () => bearer({ exp: null }),
    message: 'token has no exp claim',
    presented: true,
  },
  {
    name: 'wrong issuer',
    authorization: () => bearer({ iss: 'https://evil.test' }),
    message: 'token issuer not accepted',
    presented: true,
  },
  {
    name: 'wrong audience',
    authorization: () => bearer({ aud: 'another-service' }),
    message: 'token audience not accepted',
    presented: true,
  },
  {
    name: 'alg none',
    authorization: async () => `Bearer ${unsignedToken({ iss: ISS, aud: AUD, header: { kid: jwks.current.kid } })}`,
    message: 'signing algorithm not accepted',
    presented: true,
  },
  {
    name: 'HS256 signed with the RSA public key',
    authorization: async () => `Bearer ${await hmacWithPublicKey(jwks.current, { iss: ISS, aud: AUD })}`,
    message: 'signing algorithm not accepted',
    presented: true,
  },
  {
    name: 'kid with path traversal',
    authorization: () => bearer({ kid: '../../../../../etc/passwd' }),
    message: 'unknown signing key',
    presented: true,
  },
  {
    name: 'kid with SQL',
    authorization: () => bearer({ kid: "x' OR '1'='1'; DROP TABLE events; --" }),
    message: 'unknown signing key',
    presented: true,
  },
  {
    name: "the attacker's key under a published kid",
    authorization: async () =>
      `Bearer ${await signToken({ key: attacker.current, kid: jwks.current.kid, iss: ISS, aud: AUD })}`,
    message: 'signature invalid',
    presented: true,
  },
  {
    name: "an embedded jwk of the attacker's key",
    authorization: async () =>
      `Bearer ${await signToken({
        key: attacker.current,
        kid: jwks.current.kid,
        header: { jwk: attacker.current.publicJwk },
        iss: ISS,
        aud: AUD,
      })}`,
    message: 'signature invalid',
    presented: true,
  },
  {
    name: "a jku/x5u pointing at the attacker's JWKS",
    authorization: async () =>
      `Bearer ${await signToken({
        key: attacker.current,
        header: { jku: attacker.url, x5u: attacker.url },
        iss: ISS,
        aud: AUD,
      })}`,
    message: 'unknown signing key',
    presented: true,
    after: () => expect(attacker.fetches).toBe(0),
  },
  {
    name: 'oversized (validly signed)',
    authorization: () => bearer({ claims: { pad: 'x'.repeat(MAX_TOKEN_BYTES) } }),
    message: `bearer token too large (at most ${MAX_TOKEN_BYTES} bytes)`,
    presented: true,
  },
];

/** What each transport answers to a refused credential with `message`. */
function expected(transport: TransportName, { message, presented }: Case): Answer {
  const challenge = presented
    ? `Bearer realm="stategate", error="invalid_token", error_description="${message}"`
    : 'Bearer realm="stategate"';
  switch (transport) {
    case 'rest':
    case 'rest-sse':
    case 'graphql':
    case 'graphql-sse':
      return { accepted: false, status: 401, code: 'UNAUTHENTICATED', message, challenge };
    case 'connect':
      return { accepted: false, status: 401, code: 'UNAUTHENTICATED', message, challenge };
    case 'graphql-ws':
      return { accepted: false, status: 4401, code: 'UNAUTHENTICATED', message: `Unauthorized: ${message}` };
    case 'grpc':
    case 'grpc-web':
      return { accepted: false, status: 'UNAUTHENTICATED', code: 'UNAUTHENTICATED', message };
  }
}

describe.each(cases)('$name', (c) => {
  it.each(TRANSPORTS)('is refused on %s, changing nothing', async (transport) => {
    const before = store.state();
    const answer = await callWith(target, transport, await c.authorization());
    expect(answer).toEqual(expected(transport, c));
    expect(store.state()).toEqual(before);
    c.after?.();
  });
});

describe('a valid token', () => {
  it.each(TRANSPORTS)('is accepted on %s', async (transport) => {
    const before = store.state();
    const answer = await callWith(target, transport, await bearer({ sub: `valid-${transport}` }));
    expect(answer).toMatchObject({ accepted: true });
    const writes = !['rest-sse', 'graphql-sse', 'graphql-ws'].includes(transport);
    expect(store.state().events).toBe(before.events + (writes ? 1 : 0));
  });

  it('is accepted without a Bearer case convention (bearer, BEARER) and on graphql-ws as a bare token', async () => {
    const raw = await token({ sub: 'casing' });
    expect(await callWith(target, 'rest', `bearer ${raw}`)).toMatchObject({ accepted: true });
    expect(await callWith(target, 'grpc', `BEARER ${raw}`)).toMatchObject({ accepted: true });
    expect(await wsConnect(server.wsUrl, { authorization: raw })).toMatchObject({ accepted: true });
    expect(await wsConnect(server.wsUrl, { Authorization: `Bearer ${raw}` })).toMatchObject({ accepted: true });
  });
});

describe("the verified claims are recorded as the writer's", () => {
  const claimsOf = async (key: string) => {
    const reader = await bearer({ sub: 'reader' });
    const res = await rest(
      server.app.url,
      `/api/events/search?domain=${D}&type=user&limit=10&query_string=${encodeURIComponent(JSON.stringify({ 'entity.key': key }))}`,
      { headers: { authorization: reader } },
    );
    expect(res.status).toBe(200);
    return ((res.body as { events: Array<{ claims: Record<string, unknown> }> }).events ?? []).map((e) => e.claims);
  };

  it.each(['rest', 'graphql', 'graphql-ws', 'grpc', 'grpc-web', 'connect'] as const)(
    'in the event a %s write makes, read back over REST, GraphQL and gRPC',
    async (transport) => {
      const sub = `writer-${transport}`;
      const authorization = await bearer({ sub, claims: { tenant: 't1', roles: ['a', 'b'] } });
      const key = uid();
      const values = { via: transport };
      if (transport === 'graphql-ws') {
        const client = wsClient(server.wsUrl, { authorization });
        try {
          const result = collect(client, Q.set, { input: { domain: D, type: 'user', key, values } });
          await result.done;
          expect(result.items).toEqual([{ data: { setEntity: true } }]);
        } finally {
          await client.dispose();
        }
      } else {
        const answer = await callWithKey(transport, authorization, key);
        expect(answer).toMatchObject({ accepted: true });
      }
      const expectedClaims = { sub, iss: ISS, aud: AUD, tenant: 't1', roles: ['a', 'b'] };
      const [viaRest] = await claimsOf(key);
      expect(viaRest).toMatchObject(expectedClaims);
      expect(typeof viaRest?.exp).toBe('number');

      const graphql = await gql<{ searchEvents: { events: Array<{ claims: Record<string, unknown> }> } }>(
        server.httpUrl,
        Q.searchEvents,
        { input: { domain: D, type: 'user', limit: 10, query_string: JSON.stringify({ 'entity.key': key }) } },
        { authorization: await bearer({ sub: 'reader' }) },
      );
      expect(graphql.data?.searchEvents.events.map((e) => e.claims)).toEqual([viaRest]);

      const viaGrpc = await grpcClient.call<{ events: Array<{ claims: GrpcStruct }> }>(
        'EventService',
        'Search',
        { domain: D, type: 'user', limit: 10, query_string: JSON.stringify({ 'entity.key': key }) },
        { authorization: await bearer({ sub: 'reader' }) },
      );
      expect(viaGrpc.events.map((e) => fromStruct(e.claims))).toEqual([viaRest]);
    },
  );

  async function callWithKey(
    transport: 'rest' | 'graphql' | 'grpc' | 'grpc-web' | 'connect',
    authorization: string,
    key: string,
  ) {
    return callWith({ ...target, key }, transport, authorization);
  }

  it("in the event a stream delivers, and in peer messages: the sender's claims, not the reader's", async () => {
    const readerAuth = await bearer({ sub: 'stream-reader' });
    const domain = uid('peers');
    const sse = await openSse(`${server.app.url}/api/events/stream?domain=${domain}&type=user`, {
      authorization: readerAuth,
    });
    const ws = wsClient(server.wsUrl, { authorization: readerAuth });
    const wsMessages = collect<{ streamMessages: { claims: Record<string, unknown> } }>(ws, Q.streamMessages, {
      input: { domain, channel: 'c' },
    });
    const grpcMessages = grpcClient.stream<{ claims: GrpcStruct }>(
      'PeerService',
      'Stream',
      { domain, channel: 'c' },
      { authorization: readerAuth },
    );
    try {
      await subscribers(server, 'event', 1);
      await subscribers(server, 'message', 2);
      const set = await rest(server.app.url, `/api/entity/ref/${domain}/user/k`, {
        method: 'POST',
        headers: { authorization: await bearer({ sub: 'event-writer' }) },
        body: { values: { a: 1 } },
      });
      expect(set.status).toBe(200);
      const [event] = await sse.waitFor(1);
      expect(JSON.parse(event?.data ?? '{}').claims).toMatchObject({ sub: 'event-writer', iss: ISS });

      const sent = await rest(server.app.url, '/api/peers/broadcast', {
        method: 'POST',
        headers: { authorization: await bearer({ sub: 'peer-sender', claims: { team: 'blue' } }) },
        body: { domain, channel: 'c', type: 'note', body: { hello: 'world' } },
      });
      expect(sent.status).toBe(200);
      await wsMessages.waitFor(1);
      await grpcMessages.waitFor(1);
      expect(wsMessages.items[0]?.data?.streamMessages.claims).toMatchObject({ sub: 'peer-sender', team: 'blue' });
      expect(fromStruct(grpcMessages.items[0]?.claims)).toMatchObject({ sub: 'peer-sender', team: 'blue' });
    } finally {
      sse.close();
      wsMessages.stop();
      grpcMessages.cancel();
      await ws.dispose();
      await subscribers(server, 'message', 0);
      await subscribers(server, 'event', 0);
    }
  });
});
