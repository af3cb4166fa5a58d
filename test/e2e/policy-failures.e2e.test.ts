import { GrpcClient } from '../support/grpc.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { openStore, uid } from './helpers.js';
import {
  DENIED_STATUS,
  type PolicyClients,
  type PolicyTransport,
  policyBase64,
  policyClients,
} from './policy-helpers.js';

/**
 * A request policy that fails in every way a policy can (test/fixtures/policies/failures.rego): `allow`
 * undefined, an evaluation error, a non-boolean, and an evaluation that takes seconds. Each denies, changes
 * nothing, and the server keeps answering (/healthz, other calls) while the slow one runs.
 */

const D = 'e2e-policy-failures';
/** Long enough to see the server answer other requests while the slow policy is still running. */
const TIMEOUT_MS = 1500;

let server: TestServer;
let grpcClient: GrpcClient;
let clients: PolicyClients;
let store: ReturnType<typeof openStore>;

beforeAll(async () => {
  server = await startTestServer({
    STATEGATE_REQUEST_POLICY: policyBase64('failures'),
    STATEGATE_POLICY_TIMEOUT_MS: String(TIMEOUT_MS),
  });
  grpcClient = new GrpcClient(server.app.url.replace(/^http:\/\//, ''));
  clients = policyClients(server, grpcClient);
  store = openStore(server);
});
afterAll(async () => {
  store?.close();
  grpcClient?.close();
  await server?.close();
});

const TRANSPORTS: PolicyTransport[] = ['graphql', 'rest', 'grpc'];
const set = (t: PolicyTransport, key: string) => clients.set(t, { domain: D, type: uid('t'), key }, { n: 1 });

describe.each(TRANSPORTS)('%s', (transport) => {
  const denied = { ok: false, code: 'PERMISSION_DENIED', status: DENIED_STATUS[transport] };

  it('the control case: allow is true', async () => {
    const before = store.state();
    expect(await set(transport, 'ok')).toEqual({ ok: true, value: true });
    expect(store.state().events).toBe(before.events + 1);
  });

  it.each([
    ['allow undefined (no rule matches, no default)', 'anything-else'],
    ['an evaluation error (conflicting complete rules)', 'conflict'],
    ['allow is a string, not a boolean', 'not-boolean'],
  ])('%s: denied, nothing changes', async (_name, key) => {
    const before = store.state();
    expect(await set(transport, key)).toEqual(denied);
    expect(store.state()).toEqual(before);
  });
});

describe('a slow policy', () => {
  it('is denied at the timeout, and /healthz answers while it runs', async () => {
    const before = store.state();
    let settled = false;
    const slow = set('rest', 'slow').finally(() => {
      settled = true;
    });
    // Answered while the slow evaluation still runs: it runs in a worker thread, not on the event loop.
    const health = await fetch(`${server.app.url}/healthz`);
    expect({ status: health.status, slowStillRunning: !settled }).toEqual({ status: 200, slowStillRunning: true });
    expect(await slow).toEqual({ ok: false, code: 'PERMISSION_DENIED', status: 403 });
    expect(store.state()).toEqual(before);
  });

  it('after a timeout the policy runs again in a fresh worker: allowed calls pass, on every transport', async () => {
    expect(await set('grpc', 'slow')).toEqual({ ok: false, code: 'PERMISSION_DENIED', status: 7 });
    for (const transport of TRANSPORTS) {
      expect(await set(transport, 'ok')).toEqual({ ok: true, value: true });
      expect(await set(transport, 'anything-else')).toMatchObject({ ok: false, code: 'PERMISSION_DENIED' });
    }
  });
});
