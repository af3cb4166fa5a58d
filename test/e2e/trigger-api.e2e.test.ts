import { createServer } from 'node:net';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport, createGrpcWebTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { TriggerService } from '../../src/generated/stategate_pb.js';
import { gql } from '../support/graphql.js';
import { type StoredServerProcess, spawnStoredServer } from '../support/process.js';
import { rest } from '../support/rest.js';
import { newSecret, type Receiver, setEntity, startReceiver, waitUntil } from './trigger-helpers.js';

/**
 * The trigger API on GraphQL, REST and Connect, guarded by the request policy like every call, and the
 * per-trigger series on the metrics port.
 */
const POLICY = `package stategate.authz
default allow := false
allow if not startswith(input.method, "/stategate.TriggerService/")
allow if input.method == "/stategate.TriggerService/List"
allow if input.metadata["x-role"] == "operator"
`;

let server: StoredServerProcess;
let metricsPort = 0;
let receiver: Receiver;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  metricsPort = await freePort();
  server = await spawnStoredServer({
    STATEGATE_AUTH_DISABLED: 'false',
    STATEGATE_TRIGGERS_ALLOW_PRIVATE: 'true',
    STATEGATE_REQUEST_POLICY: Buffer.from(POLICY).toString('base64'),
    STATEGATE_METRICS_PORT: String(metricsPort),
  });
  receiver = await startReceiver();
}, 60_000);
afterAll(async () => {
  await server?.close();
  await receiver?.stop();
});

const operator = { 'x-role': 'operator' };
const TRIGGER_FIELDS =
  'name url domain type key headerNames maxAttempts status { position lag attempts lastError deadLetterCount }';

it('creates, reads and lists triggers on GraphQL, REST and Connect alike, never answering the secret', async () => {
  const secret = newSecret();
  const created = await gql<{ createTrigger: Record<string, unknown> }>(
    `${server.url}/api/graphql`,
    `mutation($i: TriggerInput!) { createTrigger(input: $i) { ${TRIGGER_FIELDS} } }`,
    {
      i: {
        name: 'api-gql',
        url: receiver.url,
        domain: 'billing',
        type: 'invoice',
        secret,
        headers: { 'x-api-key': 'k1' },
      },
    },
    operator,
  );
  expect(created.errors).toBeUndefined();
  expect(created.data!.createTrigger).toEqual({
    name: 'api-gql',
    url: receiver.url,
    domain: 'billing',
    type: 'invoice',
    key: '*',
    headerNames: ['x-api-key'],
    maxAttempts: 10,
    status: { position: expect.any(String), lag: '0', attempts: 0, lastError: null, deadLetterCount: '0' },
  });
  const viaRest = await rest(server.url, '/api/triggers/api-gql', { headers: operator });
  expect(viaRest.status).toBe(200);
  expect(viaRest.body).toMatchObject({ name: 'api-gql', domain: 'billing', headerNames: ['x-api-key'] });
  const viaConnect = await rest(server.url, '/stategate.TriggerService/List', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: { prefix: 'api-' },
  });
  expect(viaConnect.status).toBe(200);
  expect((viaConnect.body as { triggers: { name: string }[] }).triggers.map((t) => t.name)).toEqual(['api-gql']);
  for (const text of [JSON.stringify(created), viaRest.text, viaConnect.text]) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain('k1');
  }
  const listed = await gql<{ listTriggers: { name: string }[] }>(
    `${server.url}/api/graphql`,
    '{ listTriggers(input: {}) { name } }',
  );
  expect(listed.data!.listTriggers.map((t) => t.name)).toContain('api-gql');
});

it('answers the same on native gRPC and gRPC-Web (TriggerService with connect-es clients)', async () => {
  const sessions = new Http2SessionManager(server.url);
  try {
    const transports = [
      createGrpcTransport({ baseUrl: server.url, sessionManager: sessions }),
      createGrpcWebTransport({ baseUrl: server.url, httpVersion: '1.1' }),
    ];
    for (const transport of transports) {
      const client = createClient(TriggerService, transport);
      const got = await client.get({ name: 'api-gql' }, { headers: operator });
      expect(got).toMatchObject({ name: 'api-gql', domain: 'billing', headerNames: ['x-api-key'] });
      expect((await client.list({ prefix: 'api-gql' })).triggers.map((t) => t.name)).toEqual(['api-gql']);
      const refused = await client.create({ name: 'bad name' }, { headers: operator }).catch((e: unknown) => e);
      expect(ConnectError.from(refused).code).toBe(Code.InvalidArgument);
      const denied = await client.delete({ name: 'api-gql' }).catch((e: unknown) => e);
      expect(ConnectError.from(denied).code).toBe(Code.PermissionDenied);
    }
  } finally {
    sessions.abort();
  }
});

it('masks query values of the URL in every answer (a function key may sit there)', async () => {
  const created = await rest(server.url, '/api/triggers', {
    method: 'POST',
    headers: operator,
    body: {
      name: 'api-key-in-url',
      url: `${receiver.url}?code=fn-key-123&x=1`,
      domain: 'none',
      type: '*',
      secret: newSecret(),
    },
  });
  expect(created.status).toBe(200);
  expect((created.body as { url: string }).url).toBe(`${receiver.url}?code=***&x=***`);
  const listed = await rest(server.url, '/api/triggers');
  expect(listed.text).not.toContain('fn-key-123');
});

it('the request policy decides each trigger method (here: only operators may change or read one)', async () => {
  const body = { name: 'api-denied', url: receiver.url, domain: '*', type: '*', secret: newSecret() };
  const denied = await rest(server.url, '/api/triggers', { method: 'POST', body });
  expect(denied.status).toBe(403);
  const gqlDenied = await gql(
    `${server.url}/api/graphql`,
    'mutation { replayTrigger(input: {name: "api-gql"}) { replayed } }',
  );
  expect(gqlDenied.errors?.[0]?.extensions?.code).toBe('PERMISSION_DENIED');
  expect((await rest(server.url, '/api/triggers/api-gql')).status).toBe(403);
  expect((await rest(server.url, '/api/triggers/api-gql', { method: 'DELETE' })).status).toBe(403);
  expect((await rest(server.url, '/api/triggers/api-denied', { headers: operator })).status).toBe(404);
});

it('reports deliveries, cursor and lag per trigger on the metrics port', async () => {
  const created = await rest(server.url, '/api/triggers', {
    method: 'POST',
    headers: operator,
    body: { name: 'api-metrics', url: receiver.url, domain: 'metered', type: '*', secret: receiver.secret },
  });
  expect(created.status).toBe(200);
  await setEntity(server.url, 'metered', 'thing', 'a', { n: 1 });
  await waitUntil('the delivery', () => receiver.deliveries.some((d) => d.domain === 'metered'));
  let scrape = '';
  await waitUntil('the series', async () => {
    scrape = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return /stategate_trigger_cursor_position\{trigger="api-metrics"\} [1-9]/.test(scrape);
  });
  expect(scrape).toMatch(/stategate_trigger_deliveries_total\{trigger="api-metrics",outcome="delivered"\} 1/);
  expect(scrape).toMatch(/stategate_trigger_lag_positions\{trigger="api-metrics"\} 0/);
  expect(scrape).toMatch(/stategate_trigger_dead_letters\{trigger="api-metrics"\} 0/);
  expect(scrape).not.toContain(receiver.secret);
});
