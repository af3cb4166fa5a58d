import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/config.js';
import { EntityService } from '../../src/generated/stategate_pb.js';
import { createLogger } from '../../src/logger.js';
import { type App, startApp } from '../../src/server/app.js';
import { gql } from '../support/graphql.js';
import { GrpcClient, toStruct } from '../support/grpc.js';
import { type CollectedSpan, type OtlpCollector, startOtlpCollector } from '../support/otlp-collector.js';
import { rest } from '../support/rest.js';
import { uid, until } from './helpers.js';

/**
 * OpenTelemetry traces, exported over OTLP/HTTP to a collector stub on loopback: one trace per request on
 * every transport, spans transport → call → authenticate / policy → storage → broadcast → bus, the
 * client's W3C trace context continued and the server's answered back.
 */

const D = 'e2e-traces';
const SERVER = 2;
let collector: OtlpCollector;
let app: App;
let dir: string;
const logLines: Array<Record<string, unknown>> = [];

async function startTraced(extra: Record<string, string>, logSink?: Writable): Promise<App> {
  const config = loadConfig(
    {
      STATEGATE_PORT: '0',
      STATEGATE_METRICS_PORT: '0',
      STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'sqlite', path: join(dir, `${uid('db')}.sqlite`) }),
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_SERVICE_NAME: 'stategate-e2e',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      ...extra,
    },
    dir,
  );
  return startApp(config, createLogger('info', logSink));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stategate-traces-'));
  collector = await startOtlpCollector();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text.trim()) logLines.push(JSON.parse(text));
      done();
    },
  });
  app = await startTraced({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, sink);
});
afterAll(async () => {
  await app?.close();
  await collector?.close();
  rmSync(dir, { recursive: true, force: true });
});

function clientContext(): { traceId: string; spanId: string; traceparent: string } {
  const hex = (bytes: number) =>
    Array.from({ length: bytes }, () =>
      Math.floor(Math.random() * 256)
        .toString(16)
        .padStart(2, '0'),
    ).join('');
  const traceId = hex(16);
  const spanId = hex(8);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** The spans of one trace once `names` all arrived (spans export in batches, after their request ends). */
async function traceOf(traceId: string, names: string[]): Promise<CollectedSpan[]> {
  const spans = () => collector.spans.filter((s) => s.traceId === traceId);
  await until(() => names.every((n) => spans().some((s) => s.name === n)), `spans ${names.join(', ')}`, 10_000);
  return spans();
}

function one(spans: CollectedSpan[], name: string): CollectedSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** The call span and its server span parent: the shape every transport shares. */
function expectCallTree(spans: CollectedSpan[], serverName: string, method: string, clientSpanId?: string) {
  const server = one(spans, serverName);
  expect(server.kind).toBe(SERVER);
  expect(server.parentSpanId).toBe(clientSpanId);
  expect(server.serviceName).toBe('stategate-e2e');
  const call = one(spans, method);
  expect(call.parentSpanId).toBe(server.spanId);
  expect(call.attributes['rpc.method']).toBe(method);
  for (const stage of ['authenticate', 'policy.request']) expect(one(spans, stage).parentSpanId).toBe(call.spanId);
  return { server, call };
}

const SET = '/stategate.EntityService/Set';
const GET = '/stategate.EntityService/Get';

it('REST Set: transport → call → authenticate, policy, storage, broadcast → bus; the trace id answered back', async () => {
  const client = clientContext();
  const res = await rest(app.url, `/api/entity/ref/${D}/t/${uid()}`, {
    method: 'POST',
    headers: { traceparent: client.traceparent },
    body: { values: { a: 1 } },
  });
  expect(res.status).toBe(200);
  const spans = await traceOf(client.traceId, [`rest ${SET}`, SET, 'storage.append', 'bus.publish', 'policy.response']);
  const { server, call } = expectCallTree(spans, `rest ${SET}`, SET, client.spanId);
  expect(server.attributes).toMatchObject({
    'http.request.method': 'POST',
    'http.response.status_code': 200,
    'stategate.code': 'OK',
    'stategate.transport': 'rest',
  });
  const append = one(spans, 'storage.append');
  expect(append.parentSpanId).toBe(call.spanId);
  expect(append.attributes['db.system.name']).toBe('sqlite');
  const broadcast = one(spans, 'broadcast');
  expect(broadcast.parentSpanId).toBe(call.spanId);
  expect(typeof broadcast.attributes['stategate.position']).toBe('number');
  expect(one(spans, 'bus.publish').parentSpanId).toBe(broadcast.spanId);
  expect(one(spans, 'policy.response').parentSpanId).toBe(call.spanId);
  // W3C trace context to the client: this server's span in the client's trace.
  expect(res.headers.get('traceparent')).toBe(`00-${client.traceId}-${server.spanId}-01`);
});

it('a call that fails on the caller’s side is not an error span, and says its code', async () => {
  const client = clientContext();
  const res = await rest(app.url, `/api/entity/ref/${D}/t/${uid()}`, { headers: { traceparent: client.traceparent } });
  expect(res.status).toBe(404);
  const spans = await traceOf(client.traceId, [`rest ${GET}`, GET, 'storage.getEntity']);
  const { server, call } = expectCallTree(spans, `rest ${GET}`, GET, client.spanId);
  expect(call.attributes['stategate.code']).toBe('NOT_FOUND');
  expect(server.attributes['http.response.status_code']).toBe(404);
  for (const span of [server, call]) expect(span.status?.code ?? 0).toBe(0);
});

it('without a traceparent each request starts its own trace, answered back and logged', async () => {
  const traceIds: string[] = [];
  for (let i = 0; i < 2; i++) {
    const res = await rest(app.url, `/api/entity/ref/${D}/t/${uid()}`, { method: 'POST', body: { values: { i } } });
    const header = res.headers.get('traceparent');
    expect(header).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    traceIds.push(header!.split('-')[1]!);
  }
  expect(traceIds[0]).not.toBe(traceIds[1]);
  for (const traceId of traceIds) {
    const spans = await traceOf(traceId, [`rest ${SET}`, SET, 'storage.append']);
    // One root: the server span; everything else hangs below it.
    expect(spans.filter((s) => s.parentSpanId === undefined).map((s) => s.name)).toEqual([`rest ${SET}`]);
    const ids = new Set(spans.map((s) => s.spanId));
    for (const span of spans) if (span.parentSpanId !== undefined) expect(ids.has(span.parentSpanId)).toBe(true);
    await until(() => logLines.some((l) => l.component === 'request' && l.traceId === traceId), 'the log line');
  }
});

it('GraphQL over HTTP', async () => {
  const client = clientContext();
  const res = await gql(
    `${app.url}/api/graphql`,
    `mutation { setEntity(input: {domain: "${D}", type: "t", key: "${uid()}", values: {a: 1}}) }`,
    undefined,
    { traceparent: client.traceparent },
  );
  expect(res.errors).toBeUndefined();
  const spans = await traceOf(client.traceId, [`graphql ${SET}`, SET, 'storage.append']);
  expectCallTree(spans, `graphql ${SET}`, SET, client.spanId);
});

it('gRPC (HTTP/2, trace context in the metadata)', async () => {
  const grpc = new GrpcClient(app.url.replace(/^http:\/\//, ''));
  try {
    const client = clientContext();
    await grpc.call(
      'EntityService',
      'Set',
      { domain: D, type: 't', key: uid(), values: toStruct({ a: 1 }) },
      { traceparent: client.traceparent },
    );
    const spans = await traceOf(client.traceId, [`grpc ${SET}`, SET, 'storage.append']);
    const { server } = expectCallTree(spans, `grpc ${SET}`, SET, client.spanId);
    expect(server.attributes['network.protocol.version']).toBe('2.0');
  } finally {
    grpc.close();
  }
});

it.each([
  ['grpc-web', createGrpcWebTransport],
  ['connect', createConnectTransport],
] as const)('%s', async (transport, makeTransport) => {
  const rpc = createClient(EntityService, makeTransport({ baseUrl: app.url, httpVersion: '1.1' }));
  const client = clientContext();
  let answered: string | null = null;
  await rpc.set(
    { domain: D, type: 't', key: uid(), values: { a: 1 } },
    { headers: { traceparent: client.traceparent }, onHeader: (headers) => (answered = headers.get('traceparent')) },
  );
  const spans = await traceOf(client.traceId, [`${transport} ${SET}`, SET, 'storage.append']);
  const { server } = expectCallTree(spans, `${transport} ${SET}`, SET, client.spanId);
  expect(answered).toBe(`00-${client.traceId}-${server.spanId}-01`);
});

it('graphql-ws: each operation is a server span continuing the upgrade request’s trace context', async () => {
  const client = clientContext();
  class TracedWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers: { traceparent: client.traceparent } });
    }
  }
  const ws = createWsClient({
    url: `${app.url.replace(/^http/, 'ws')}/api/graphql`,
    webSocketImpl: TracedWebSocket,
    retryAttempts: 0,
  });
  try {
    const result = await new Promise<unknown>((resolve, reject) => {
      let value: unknown;
      ws.subscribe(
        { query: `mutation { setEntity(input: {domain: "${D}", type: "t", key: "${uid()}", values: {a: 1}}) }` },
        { next: (v) => (value = v), error: reject, complete: () => resolve(value) },
      );
    });
    expect(result).toMatchObject({ data: { setEntity: true } });
    const spans = await traceOf(client.traceId, [SET, 'storage.append', 'policy.request']);
    const call = one(spans, SET);
    expect(call.kind).toBe(SERVER);
    expect(call.parentSpanId).toBe(client.spanId);
    expect(one(spans, 'storage.append').parentSpanId).toBe(call.spanId);
  } finally {
    await ws.dispose();
  }
});

it('background work (log polling) makes no traces', async () => {
  const before = new Set(collector.spans.map((s) => s.traceId));
  await new Promise((resolve) => setTimeout(resolve, 600));
  const fresh = collector.spans.filter((s) => !before.has(s.traceId));
  expect(fresh).toEqual([]);
});

it('OTLP over HTTP with protobuf (the default protocol) carries the client’s trace id and the span names', async () => {
  const protobuf = await startTraced({});
  try {
    const client = clientContext();
    const res = await rest(protobuf.url, `/api/entity/ref/${D}/t/${uid()}`, {
      method: 'POST',
      headers: { traceparent: client.traceparent },
      body: { values: { a: 1 } },
    });
    expect(res.status).toBe(200);
    const traceBytes = Buffer.from(client.traceId, 'hex');
    const carrying = () =>
      collector.exports.filter((e) => e.contentType === 'application/x-protobuf' && e.body.includes(traceBytes));
    await until(() => carrying().some((e) => e.body.includes(Buffer.from('storage.append'))), 'a protobuf export');
    const body = Buffer.concat(carrying().map((e) => e.body));
    for (const name of [`rest ${SET}`, SET, 'policy.request', 'broadcast', 'stategate-e2e']) {
      expect(body.includes(Buffer.from(name))).toBe(true);
    }
  } finally {
    await protobuf.close();
  }
});

it('off unless configured: no traceparent answered, nothing exported', async () => {
  const exportsBefore = collector.exports.length;
  const config = loadConfig(
    {
      STATEGATE_PORT: '0',
      STATEGATE_METRICS_PORT: '0',
      STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'sqlite', path: join(dir, 'plain.sqlite') }),
    },
    dir,
  );
  expect(config.tracing).toBeNull();
  const plain = await startApp(config, createLogger('silent'));
  try {
    const res = await rest(plain.url, `/api/entity/ref/${D}/t/${uid()}`, {
      method: 'POST',
      headers: { traceparent: clientContext().traceparent },
      body: { values: { a: 1 } },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('traceparent')).toBeNull();
  } finally {
    await plain.close();
  }
  expect(collector.exports.length).toBe(exportsBefore);
});
