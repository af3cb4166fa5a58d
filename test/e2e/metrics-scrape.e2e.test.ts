import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gql } from '../support/graphql.js';
import { GrpcClient, toStruct } from '../support/grpc.js';
import { openSse, rest } from '../support/rest.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { Q, uid, until } from './helpers.js';
import {
  freePort,
  parseScrape,
  pprofTop,
  promtoolCheck,
  type Sample,
  sampleSum,
  sampleValue,
} from './metrics-helpers.js';

/**
 * The metrics port after known traffic on every transport: each series counts exactly what was sent,
 * histograms have observations, promtool accepts the scrape, and the pprof endpoints answer profiles
 * `go tool pprof` reads.
 */
let server: TestServer;
let metricsUrl: string;
let grpc: GrpcClient;
let profileDir: string;

beforeAll(async () => {
  const port = await freePort();
  server = await startTestServer({ STATEGATE_METRICS_PORT: String(port) });
  metricsUrl = `http://127.0.0.1:${port}`;
  grpc = new GrpcClient(server.app.url.replace(/^http:\/\//, ''));
  profileDir = mkdtempSync(join(tmpdir(), 'stategate-pprof-'));
});

afterAll(async () => {
  grpc?.close();
  await server?.close();
  rmSync(profileDir, { recursive: true, force: true });
});

async function scrape(): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(`${metricsUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { text, samples: parseScrape(text) };
}

/** A Connect unary call with JSON, as a browser's fetch sends it. */
async function connect(method: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${server.app.url}${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'connect-protocol-version': '1' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('a scrape after mixed traffic on every transport', () => {
  const D = uid('metrics');
  let samples: Sample[];
  let text: string;

  beforeAll(async () => {
    // Streams first: one gRPC event stream and one REST (SSE) peer stream, open during the scrape.
    const events = grpc.stream('EventService', 'Stream', { domain: D, type: '*' });
    const messages = await openSse(`${server.app.url}/api/peers/stream?domain=${D}&channel=c&type=note`);
    await until(() => server.app.stategate.stats().eventSubscribers === 1, 'the gRPC event stream');
    await until(() => server.app.stategate.stats().messageSubscribers === 1, 'the SSE peer stream');

    // Four entity writes: 2 GraphQL, 1 REST, 1 gRPC.
    for (const key of ['g1', 'g2']) {
      const res = await gql(server.httpUrl, Q.set, { input: { domain: D, type: 'user', key, values: { n: 1 } } });
      expect(res.errors).toBeUndefined();
    }
    expect(
      (await rest(server.app.url, `/api/entity/ref/${D}/user/r1`, { method: 'POST', body: { values: { n: 1 } } }))
        .status,
    ).toBe(200);
    await grpc.call('EntityService', 'Set', { domain: D, type: 'user', key: 'p1', values: toStruct({ n: 1 }) });

    // Connect: one Get and one Broadcast.
    expect((await connect('/stategate.EntityService/Get', { domain: D, type: 'user', key: 'g1' })).status).toBe(200);
    expect(
      (await connect('/stategate.PeerService/Broadcast', { domain: D, channel: 'c', type: 'note', body: { hi: 1 } }))
        .status,
    ).toBe(200);

    // Cache: a GraphQL miss, a REST set and two REST hits.
    const miss = await gql(server.httpUrl, Q.getCache, { input: { domain: D, key: 'absent' } });
    expect(miss.status).toBe(200);
    const cacheUrl = `/api/cache/ref/${D}/c1`;
    expect((await rest(server.app.url, cacheUrl, { method: 'PUT', body: { value: 'v' } })).status).toBe(200);
    expect((await rest(server.app.url, cacheUrl)).status).toBe(200);
    expect((await rest(server.app.url, cacheUrl)).status).toBe(200);

    // Mutex: one lock granted, one refused.
    const lockUrl = `/api/mutex/ref/${D}/m1/lock`;
    expect((await rest(server.app.url, lockUrl, { method: 'POST', body: {} })).status).toBe(200);
    expect((await rest(server.app.url, lockUrl, { method: 'POST', body: {} })).status).toBe(409);

    await events.waitFor(4);
    await messages.waitFor(1);
    ({ text, samples } = await scrape());
  }, 60_000);

  it('counts requests by method, transport and code, with a latency observation each', () => {
    const expected: Array<[string, string, string, number]> = [
      ['/stategate.EntityService/Set', 'graphql', 'OK', 2],
      ['/stategate.EntityService/Set', 'rest', 'OK', 1],
      ['/stategate.EntityService/Set', 'grpc', 'OK', 1],
      ['/stategate.EventService/Stream', 'grpc', 'OK', 1],
      ['/stategate.PeerService/Stream', 'rest', 'OK', 1],
      ['/stategate.EntityService/Get', 'connect', 'OK', 1],
      ['/stategate.PeerService/Broadcast', 'connect', 'OK', 1],
      ['/stategate.CacheService/Get', 'graphql', 'NOT_FOUND', 1],
      ['/stategate.CacheService/Set', 'rest', 'OK', 1],
      ['/stategate.CacheService/Get', 'rest', 'OK', 2],
      ['/stategate.MutexService/Lock', 'rest', 'OK', 1],
      ['/stategate.MutexService/Lock', 'rest', 'ALREADY_EXISTS', 1],
    ];
    for (const [method, transport, code, count] of expected) {
      const labels = { method, transport, code };
      expect({ ...labels, count: sampleValue(samples, 'stategate_requests_total', labels) }).toEqual({
        ...labels,
        count,
      });
      expect(sampleValue(samples, 'stategate_request_duration_seconds_count', labels)).toBe(count);
      expect(sampleValue(samples, 'stategate_request_duration_seconds_sum', labels)).toBeGreaterThan(0);
    }
    // Nothing else was called.
    expect(sampleSum(samples, 'stategate_requests_total')).toBe(expected.reduce((n, [, , , c]) => n + c, 0));
  });

  it('reports open streams by transport and subscribers by stream kind', () => {
    expect(sampleValue(samples, 'stategate_open_streams', { transport: 'grpc' })).toBe(1);
    expect(sampleValue(samples, 'stategate_open_streams', { transport: 'rest' })).toBe(1);
    expect(sampleValue(samples, 'stategate_subscribers', { stream: 'events' })).toBe(1);
    expect(sampleValue(samples, 'stategate_subscribers', { stream: 'messages' })).toBe(1);
  });

  it('counts events appended, deliveries, drops and cut-offs, and the tail lag', () => {
    expect(sampleValue(samples, 'stategate_events_appended_total')).toBe(4);
    expect(sampleValue(samples, 'stategate_stream_deliveries_total', { stream: 'events' })).toBe(4);
    expect(sampleValue(samples, 'stategate_stream_deliveries_total', { stream: 'messages' })).toBe(1);
    expect(sampleValue(samples, 'stategate_stream_drops_total', { stream: 'events' })).toBe(0);
    expect(sampleValue(samples, 'stategate_slow_subscriber_cutoffs_total', { stream: 'events' })).toBe(0);
    expect(sampleValue(samples, 'stategate_log_tail_lag_positions')).toBe(0);
  });

  it('counts bus publishes and receipts by topic', () => {
    expect(sampleValue(samples, 'stategate_bus_published_total', { topic: 'events' })).toBe(4);
    expect(sampleValue(samples, 'stategate_bus_published_total', { topic: 'messages' })).toBe(1);
    // The memory bus delivers to this instance too.
    expect(sampleValue(samples, 'stategate_bus_received_total', { topic: 'events' })).toBe(4);
    expect(sampleValue(samples, 'stategate_bus_received_total', { topic: 'messages' })).toBe(1);
  });

  it('times storage calls and reports group-commit batch sizes', () => {
    const appends = { operation: 'append', outcome: 'ok' };
    expect(sampleValue(samples, 'stategate_storage_duration_seconds_count', appends)).toBe(4);
    expect(sampleValue(samples, 'stategate_storage_duration_seconds_sum', appends)).toBeGreaterThan(0);
    expect(sampleValue(samples, 'stategate_storage_duration_seconds_count', { operation: 'getEntity' })).toBe(1);
    expect(sampleSum(samples, 'stategate_storage_duration_seconds_count', { operation: 'readLog' })).toBeGreaterThan(0);
    // Every append is in exactly one batch: the batch sizes sum to the appends.
    expect(sampleValue(samples, 'stategate_storage_batch_size_sum')).toBe(4);
    expect(sampleValue(samples, 'stategate_storage_batch_size_count')).toBeGreaterThanOrEqual(1);
  });

  it('times policy evaluations, counts cache hits/misses and locks', () => {
    // Every call reached the request policy once.
    expect(sampleValue(samples, 'stategate_policy_evaluation_duration_seconds_count', { stage: 'request' })).toBe(
      sampleSum(samples, 'stategate_requests_total'),
    );
    expect(
      sampleValue(samples, 'stategate_policy_evaluation_duration_seconds_count', { stage: 'response' }),
    ).toBeGreaterThan(0);
    expect(sampleValue(samples, 'stategate_cache_hits_total')).toBe(2);
    expect(sampleValue(samples, 'stategate_cache_misses_total')).toBe(1);
    expect(sampleValue(samples, 'stategate_locks_granted_total')).toBe(1);
    expect(sampleValue(samples, 'stategate_locks_refused_total')).toBe(1);
  });

  it('lists every auth-failure reason (none happened) and the process defaults', () => {
    expect(sampleSum(samples, 'stategate_auth_failures_total')).toBe(0);
    expect(sampleValue(samples, 'stategate_auth_failures_total', { reason: 'expired' })).toBe(0);
    expect(sampleValue(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('puts no key, id or domain into a label', () => {
    for (const sample of samples) {
      for (const value of Object.values(sample.labels)) expect(value).not.toContain(D);
    }
    expect(text).not.toContain(D);
  });

  it('is accepted by promtool check metrics', async () => {
    const { code, output } = await promtoolCheck(text);
    expect({ code, output }).toEqual({ code: 0, output: '' });
  });
});

describe('profiles', () => {
  it('serves a CPU profile that go tool pprof reads', async () => {
    const res = await fetch(`${metricsUrl}/debug/pprof/profile?seconds=1`);
    expect(res.status).toBe(200);
    const top = await pprofTop(profileDir, 'cpu.pb.gz', Buffer.from(await res.arrayBuffer()));
    expect(top).toMatch(/^Type: cpu$/m);
    expect(top).toMatch(/Duration: /);
  }, 60_000);

  it('serves a heap profile that go tool pprof reads', async () => {
    const res = await fetch(`${metricsUrl}/debug/pprof/heap`);
    expect(res.status).toBe(200);
    const top = await pprofTop(profileDir, 'heap.pb.gz', Buffer.from(await res.arrayBuffer()));
    expect(top).toMatch(/^Type: inuse_space$/m);
  }, 60_000);

  it.each(['0', '-1', '1.5', 'x', '301'])('refuses seconds=%s with 400', async (seconds) => {
    const res = await fetch(`${metricsUrl}/debug/pprof/profile?seconds=${seconds}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/seconds must be a whole number from 1 to 300/);
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    expect((await fetch(`${metricsUrl}/nope`)).status).toBe(404);
    expect((await fetch(`${metricsUrl}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

describe('a metrics port that is taken', () => {
  it('stops the start with a message naming STATEGATE_METRICS_PORT', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      await expect(startTestServer({ STATEGATE_METRICS_PORT: String(port) })).rejects.toThrow(
        `STATEGATE_METRICS_PORT: cannot listen on 127.0.0.1:${port} (EADDRINUSE)`,
      );
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
