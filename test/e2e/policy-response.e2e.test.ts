import { collect, wsClient } from '../support/graphql.js';
import { GrpcClient } from '../support/grpc.js';
import { openSse } from '../support/rest.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type EventOut, eventSubscribers, Q, uid, until } from './helpers.js';
import { DENIED_STATUS, POLICY_TRANSPORTS, type PolicyClients, policyBase64, policyClients } from './policy-helpers.js';

/**
 * A response policy (test/fixtures/policies/response-filter.rego) that withholds entities and events whose
 * values say `hidden: true`: a search answers the other items (G9), a Get of a hidden entity is denied, and
 * a stream subscriber sees only the allowed events, on graphql-ws, SSE and gRPC.
 */

const D = 'e2e-policy-response';

let server: TestServer;
let grpcClient: GrpcClient;
let clients: PolicyClients;

beforeAll(async () => {
  server = await startTestServer({ STATEGATE_RESPONSE_POLICY: policyBase64('response-filter') });
  grpcClient = new GrpcClient(server.app.url.replace(/^http:\/\//, ''));
  clients = policyClients(server, grpcClient);
});
afterAll(async () => {
  grpcClient?.close();
  await server?.close();
});

/** Writes visible `a`, hidden `b`, visible `c` (and a hidden `d`) of `type`; the writes themselves are allowed. */
async function writeMixed(type: string, keys = ['a', 'b', 'c', 'd']): Promise<void> {
  for (const key of keys) {
    const hidden = key === 'b' || key === 'd';
    expect(await clients.set('rest', { domain: D, type, key }, { hidden, key })).toEqual({ ok: true, value: true });
  }
}

describe('searches drop the withheld items and answer the rest', () => {
  const type = uid('search');
  beforeAll(() => writeMixed(type));

  describe.each(POLICY_TRANSPORTS)('%s', (transport) => {
    it('entity search', async () => {
      expect(await clients.searchEntities(transport, D, type)).toEqual({ ok: true, value: ['a', 'c'] });
    });

    it('event search', async () => {
      expect(await clients.searchEvents(transport, D, type)).toEqual({ ok: true, value: ['a', 'c'] });
    });

    it('a Get of a hidden entity is denied; of a visible one, answered', async () => {
      expect(await clients.get(transport, { domain: D, type, key: 'b' })).toEqual({
        ok: false,
        code: 'PERMISSION_DENIED',
        status: DENIED_STATUS[transport],
      });
      expect(await clients.get(transport, { domain: D, type, key: 'a' })).toEqual({
        ok: true,
        value: { hidden: false, key: 'a' },
      });
    });
  });
});

describe('streams deliver only the allowed events', () => {
  it('graphql-ws', async () => {
    const type = uid('ws');
    await until(() => eventSubscribers(server) === 0, 'no other subscriber');
    const client = wsClient(server.wsUrl);
    try {
      const sub = collect<{ streamEvents: EventOut }>(client, Q.streamEvents, { input: { domain: D, type } });
      await until(() => eventSubscribers(server) === 1, 'the subscription is registered');
      await writeMixed(type);
      await writeMixed(type, ['e']);
      // Events arrive in log order: had b or d been delivered, they would have come before e.
      await sub.waitFor(3);
      expect(sub.items.map((i) => i.data?.streamEvents.entity.key)).toEqual(['a', 'c', 'e']);
      sub.stop();
    } finally {
      await client.dispose();
    }
  });

  it('SSE', async () => {
    const type = uid('sse');
    const sse = await openSse(`${server.app.url}/api/events/stream?domain=${D}&type=${type}`);
    try {
      await until(() => sse.comments.includes('stream open'), 'the SSE stream is open');
      await writeMixed(type);
      await writeMixed(type, ['e']);
      const items = await sse.waitFor(3);
      expect(items.map((i) => (JSON.parse(i.data) as { entity: { key: string } }).entity.key)).toEqual(['a', 'c', 'e']);
    } finally {
      sse.close();
    }
  });

  it('gRPC', async () => {
    const type = uid('grpc');
    await until(() => eventSubscribers(server) === 0, 'the earlier streams are gone');
    const stream = grpcClient.stream<{ entity: { key: string } }>('EventService', 'Stream', { domain: D, type });
    try {
      await until(() => eventSubscribers(server) === 1, 'the gRPC stream is registered');
      await writeMixed(type);
      await writeMixed(type, ['e']);
      await stream.waitFor(3);
      expect(stream.items.map((i) => i.entity.key)).toEqual(['a', 'c', 'e']);
    } finally {
      stream.cancel();
    }
  });
});
