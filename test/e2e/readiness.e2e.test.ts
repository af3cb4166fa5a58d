/**
 * Liveness and readiness on the default providers (sqlite, memory): /healthz, /readyz and gRPC health
 * agree that a fresh server is ready. The unready side (PostgreSQL down) is in
 * cluster-postgres-down.e2e.test.ts.
 */
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '../../src/generated/grpc/health/v1/health_pb.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

it('/healthz is liveness: 200 {"status":"ok"}', async () => {
  const res = await fetch(`${server.app.url}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok' });
});

it('/readyz is 200 {"status":"ready"} with every check, uncached by proxies', async () => {
  const res = await fetch(`${server.app.url}/readyz`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json');
  expect(res.headers.get('cache-control')).toBe('no-store');
  const body = (await res.json()) as { checks: { storage: { ms: number } } };
  expect(body).toEqual({
    status: 'ready',
    degraded: false,
    checks: {
      storage: { ok: true, ms: expect.any(Number) },
      // In-process providers cannot be unreachable: they pass without a call.
      bus: { ok: true, ms: 0 },
      cache: { ok: true, ms: 0 },
      mutex: { ok: true, ms: 0 },
    },
  });
  expect(body.checks.storage.ms).toBeLessThan(2000);
});

it('gRPC health agrees: SERVING for the server and every stategate service', async () => {
  const health = createClient(Health, createConnectTransport({ baseUrl: server.app.url, httpVersion: '1.1' }));
  for (const service of [
    '',
    'stategate.EntityService',
    'stategate.EventService',
    'stategate.PeerService',
    'stategate.CacheService',
    'stategate.MutexService',
  ]) {
    const { status } = await health.check({ service });
    expect({ service, status: ServingStatus[status] }).toEqual({ service, status: 'SERVING' });
  }
});
