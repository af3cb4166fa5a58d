import { GrpcClient, grpc, grpcError } from '../support/grpc.js';
import { type JwksServer, nowS, startJwksServer } from '../support/jwks.js';
import { rest } from '../support/rest.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { uid } from './helpers.js';
import { freePort, parseScrape, sampleValue } from './metrics-helpers.js';

/**
 * With authentication on: refused credentials are counted by reason, and the metrics port listens on
 * loopback and answers only `Authorization: Bearer <STATEGATE_METRICS_TOKEN>`.
 */
const METRICS_TOKEN = 'metrics-token-for-the-tests-0123456789';
let jwks: JwksServer;
let server: TestServer;
let metricsUrl: string;

beforeAll(async () => {
  jwks = await startJwksServer();
  const port = await freePort();
  server = await startTestServer({
    STATEGATE_JWKS_URI: jwks.url,
    STATEGATE_METRICS_PORT: String(port),
    STATEGATE_METRICS_TOKEN: METRICS_TOKEN,
  });
  metricsUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await server?.close();
  await jwks?.close();
});

const scrape = (authorization?: string) =>
  fetch(`${metricsUrl}/metrics`, { headers: authorization === undefined ? {} : { authorization } });

describe('the metrics port with a token', () => {
  it('listens on loopback by default when authentication is on', () => {
    expect(server.app.config.metrics).toEqual({
      port: Number(new URL(metricsUrl).port),
      host: '127.0.0.1',
      token: METRICS_TOKEN,
    });
  });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong token', 'Bearer metrics-token-for-the-tests-012345678X'],
    ['a prefix of the token', `Bearer ${METRICS_TOKEN.slice(0, -1)}`],
    ['the token under another scheme', `Basic ${METRICS_TOKEN}`],
    ['the token without a scheme', METRICS_TOKEN],
  ])('refuses %s with 401 and says nothing of the token', async (_, authorization) => {
    const res = await scrape(authorization);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="stategate-metrics"');
    const body = await res.text();
    expect(body).not.toContain(METRICS_TOKEN);
    expect(body).not.toContain('stategate_');
  });

  it('refuses the profile endpoints without the token', async () => {
    expect((await fetch(`${metricsUrl}/debug/pprof/heap`)).status).toBe(401);
    expect((await fetch(`${metricsUrl}/debug/pprof/profile?seconds=1`)).status).toBe(401);
  });

  it('serves /metrics with the token', async () => {
    const res = await scrape(`Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('stategate_requests_total');
  });
});

describe('auth failures by reason', () => {
  it('counts each refused credential under its reason, and the calls under UNAUTHENTICATED', async () => {
    const D = uid('metrics-auth');
    const path = `/api/entity/ref/${D}/user/k`;
    const get = (authorization?: string) =>
      rest(server.app.url, path, { headers: authorization === undefined ? {} : { authorization } });
    const stranger = await jwks.createKey({ publish: false });

    expect((await get()).status).toBe(401); // missing
    expect((await get('Bearer not-a-jwt')).status).toBe(401); // malformed
    expect((await get(`Bearer ${await jwks.sign({ exp: nowS() - 600 })}`)).status).toBe(401); // expired
    expect((await get(`Bearer ${await jwks.sign({ key: stranger })}`)).status).toBe(401); // unknown key
    expect((await get(`Bearer ${await jwks.sign()}`)).status).toBe(404); // accepted: the entity is absent

    const client = new GrpcClient(server.app.url.replace(/^http:\/\//, ''));
    try {
      await grpcError(
        client.call('EntityService', 'Get', { domain: D, type: 'user', key: 'k' }),
        grpc.status.UNAUTHENTICATED,
      );
    } finally {
      client.close();
    }

    const samples = parseScrape(await (await scrape(`Bearer ${METRICS_TOKEN}`)).text());
    const failures = (reason: string) => sampleValue(samples, 'stategate_auth_failures_total', { reason });
    expect({
      missing: failures('missing'),
      malformed: failures('malformed'),
      expired: failures('expired'),
      unknown_key: failures('unknown_key'),
      invalid_signature: failures('invalid_signature'),
      jwks_unavailable: failures('jwks_unavailable'),
    }).toEqual({ missing: 2, malformed: 1, expired: 1, unknown_key: 1, invalid_signature: 0, jwks_unavailable: 0 });
    const requests = (transport: string, code: string) =>
      sampleValue(samples, 'stategate_requests_total', {
        method: '/stategate.EntityService/Get',
        transport,
        code,
      });
    expect(requests('rest', 'UNAUTHENTICATED')).toBe(4);
    expect(requests('rest', 'NOT_FOUND')).toBe(1);
    expect(requests('grpc', 'UNAUTHENTICATED')).toBe(1);
  });
});
