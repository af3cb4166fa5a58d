import { GrpcClient } from '../support/grpc.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { openStore, uid } from './helpers.js';
import {
  DENIED_STATUS,
  type Outcome,
  POLICY_TRANSPORTS,
  type PolicyClients,
  type PolicyTransport,
  policyBase64,
  policyClients,
} from './policy-helpers.js';

/**
 * One request policy (test/fixtures/policies/table.rego, compiled by the opa CLI at start) and one table of
 * calls, run on GraphQL over HTTP, REST, gRPC (grpc-js), gRPC-Web (connect-es) and Connect (fetch): every
 * transport must decide every case the same way, and a denied call must change nothing.
 */

const D = 'e2e-policy-table';

let server: TestServer;
let grpcClient: GrpcClient;
let clients: PolicyClients;
let store: ReturnType<typeof openStore>;

beforeAll(async () => {
  server = await startTestServer({ STATEGATE_REQUEST_POLICY: policyBase64('table') });
  grpcClient = new GrpcClient(server.app.url.replace(/^http:\/\//, ''));
  clients = policyClients(server, grpcClient);
  store = openStore(server);
});
afterAll(async () => {
  store?.close();
  grpcClient?.close();
  await server?.close();
});

interface Case {
  name: string;
  run: (t: PolicyTransport, key: string) => Promise<Outcome>;
  /** Whether the call is allowed (and so whether it may change state). */
  allowed: boolean;
  writes: boolean;
}

const entity = (key: string) => ({ domain: D, type: 't', key });

const CASES: Case[] = [
  {
    name: 'allow: a Set with ordinary values',
    run: (t, key) => clients.set(t, entity(key), { n: 1 }),
    allowed: true,
    writes: true,
  },
  {
    name: 'allow: a Get',
    run: (t, key) => clients.get(t, entity(key)),
    allowed: true,
    writes: false,
  },
  {
    name: 'allow: a header the policy does not refuse',
    run: (t, key) => clients.set(t, entity(key), { n: 2 }, { 'x-tenant': 'welcome' }),
    allowed: true,
    writes: true,
  },
  {
    name: 'deny by method: Del',
    run: (t, key) => clients.del(t, entity(key)),
    allowed: false,
    writes: false,
  },
  {
    name: 'deny by a body field: values.classified',
    run: (t, key) => clients.set(t, entity(key), { n: 3, classified: true }),
    allowed: false,
    writes: false,
  },
  {
    name: 'deny by a header / metadata entry: x-tenant: blocked',
    run: (t, key) => clients.set(t, entity(key), { n: 4 }, { 'x-tenant': 'blocked' }),
    allowed: false,
    writes: false,
  },
  {
    name: 'deny a read by header as well',
    run: (t, key) => clients.get(t, entity(key), { 'x-tenant': 'blocked' }),
    allowed: false,
    writes: false,
  },
];

describe.each(POLICY_TRANSPORTS)('%s', (transport) => {
  const key = uid();

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = store.state();
    const outcome = await c.run(transport, key);
    const after = store.state();
    if (c.allowed) {
      expect(outcome).toMatchObject({ ok: true });
      if (c.writes) expect(after.events).toBe(before.events + 1);
    } else {
      expect(outcome).toEqual({ ok: false, code: 'PERMISSION_DENIED', status: DENIED_STATUS[transport] });
      expect(after).toEqual(before);
    }
  });

  it('the entity holds what the allowed calls wrote, and survived the denied Del', async () => {
    expect(await clients.get(transport, entity(key))).toEqual({ ok: true, value: { n: 2 } });
  });
});
