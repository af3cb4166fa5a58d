import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { loadConfig } from '../../src/config/config.js';
import { EntityService } from '../../src/generated/stategate_pb.js';
import { createLogger } from '../../src/logger.js';
import { type App, startApp } from '../../src/server/app.js';
import { gql, wsClient } from '../support/graphql.js';
import { GrpcClient, toStruct } from '../support/grpc.js';
import { rest } from '../support/rest.js';
import { sleep, uid, until } from './helpers.js';

/**
 * One JSON log line per request on every HTTP transport, with its request id (the client's `x-request-id`
 * kept and answered back), trace id (from `traceparent`), gRPC full method, transport, principal, duration,
 * gRPC code and HTTP status. The server runs in this process with its log lines captured.
 */

type Line = Record<string, unknown>;
const D = 'e2e-logs';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const traceparent = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

let app: App;
let dir: string;
const lines: Line[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stategate-logs-'));
  const config = loadConfig(
    {
      STATEGATE_PORT: '0',
      STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'sqlite', path: join(dir, 'db.sqlite') }),
    },
    dir,
  );
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text.trim()) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  app = await startApp(config, createLogger('info', sink));
});
afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The request line carrying this request id, once written (it is written when the response ends). */
async function lineFor(requestId: string): Promise<Line> {
  await until(() => lines.some((l) => l.requestId === requestId), `the log line of ${requestId}`, 5_000);
  const found = lines.filter((l) => l.requestId === requestId);
  expect(found).toHaveLength(1);
  return found[0]!;
}

function expectCommonFields(line: Line, transport: string): void {
  expect(line).toMatchObject({ level: 'info', component: 'request', transport, traceId: TRACE_ID });
  expect(typeof line.durationMs).toBe('number');
  expect(line.durationMs as number).toBeGreaterThanOrEqual(0);
}

it('REST: method from the route, code and status, the request id answered back', async () => {
  const id = `rest-${uid()}`;
  const key = uid();
  const res = await rest(app.url, `/api/entity/ref/${D}/t/${key}`, {
    method: 'POST',
    headers: { 'x-request-id': id, traceparent },
    body: { values: { a: 1 } },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('x-request-id')).toBe(id);
  const line = await lineFor(id);
  expectCommonFields(line, 'rest');
  expect(line).toMatchObject({ method: '/stategate.EntityService/Set', code: 'OK', status: 200 });

  const missing = `rest-missing-${uid()}`;
  const notFound = await rest(app.url, `/api/entity/ref/${D}/t/${uid()}`, {
    headers: { 'x-request-id': missing, traceparent },
  });
  expect(notFound.status).toBe(404);
  expect(await lineFor(missing)).toMatchObject({
    method: '/stategate.EntityService/Get',
    code: 'NOT_FOUND',
    status: 404,
  });
});

it('GraphQL over HTTP: the root field’s method', async () => {
  const id = `gql-${uid()}`;
  const res = await fetch(`${app.url}/api/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': id, traceparent },
    body: JSON.stringify({
      operationName: 'Named',
      query: `query Named { getEntity(input: {domain: "${D}", type: "t", key: "${uid()}"}) { key } }`,
    }),
  });
  await res.text();
  expect(res.headers.get('x-request-id')).toBe(id);
  const line = await lineFor(id);
  expectCommonFields(line, 'graphql');
  expect(line).toMatchObject({
    method: '/stategate.EntityService/Get',
    operation: 'Named',
    code: 'NOT_FOUND',
    status: 200,
  });
});

it('gRPC: the full method and the status from the trailers', async () => {
  const client = new GrpcClient(app.url.replace(/^http:\/\//, ''));
  try {
    const id = `grpc-${uid()}`;
    await client.call(
      'EntityService',
      'Set',
      { domain: D, type: 't', key: uid(), values: toStruct({ a: 1 }) },
      { 'x-request-id': id, traceparent },
    );
    const line = await lineFor(id);
    expectCommonFields(line, 'grpc');
    expect(line).toMatchObject({ method: '/stategate.EntityService/Set', code: 'OK', status: 200 });

    const missing = `grpc-missing-${uid()}`;
    await expect(
      client.call(
        'EntityService',
        'Get',
        { domain: D, type: 't', key: uid() },
        { 'x-request-id': missing, traceparent },
      ),
    ).rejects.toThrow();
    expect(await lineFor(missing)).toMatchObject({ method: '/stategate.EntityService/Get', code: 'NOT_FOUND' });
  } finally {
    client.close();
  }
});

it.each([
  ['grpc-web', createGrpcWebTransport],
  ['connect', createConnectTransport],
] as const)('%s: the full method and the code', async (transport, makeTransport) => {
  const client = createClient(EntityService, makeTransport({ baseUrl: app.url, httpVersion: '1.1' }));
  const id = `${transport}-${uid()}`;
  await client.set(
    { domain: D, type: 't', key: uid(), values: { a: 1 } },
    { headers: { 'x-request-id': id, traceparent } },
  );
  const line = await lineFor(id);
  expectCommonFields(line, transport);
  expect(line).toMatchObject({ method: '/stategate.EntityService/Set', code: 'OK', status: 200 });

  const missing = `${transport}-missing-${uid()}`;
  await expect(
    client.get({ domain: D, type: 't', key: uid() }, { headers: { 'x-request-id': missing, traceparent } }),
  ).rejects.toThrow();
  expect(await lineFor(missing)).toMatchObject({ method: '/stategate.EntityService/Get', code: 'NOT_FOUND' });
});

it('an insane x-request-id is replaced by a generated one, answered back', async () => {
  const res = await rest(app.url, `/api/entity/ref/${D}/t/${uid()}`, {
    headers: { 'x-request-id': `${'x'.repeat(200)}` },
  });
  const answered = res.headers.get('x-request-id');
  expect(answered).toMatch(/^[0-9a-f-]{36}$/);
  const line = await lineFor(answered!);
  expect(line.traceId).toBeUndefined();
  expect(line.transport).toBe('rest');
});

it('a stream’s line is written when it ends, with how it ended', async () => {
  const id = `sse-${uid()}`;
  const abort = new AbortController();
  const res = await fetch(`${app.url}/api/events/stream?domain=${D}&type=t`, {
    headers: { accept: 'text/event-stream', 'x-request-id': id, traceparent },
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  expect(lines.some((l) => l.requestId === id)).toBe(false);
  abort.abort();
  const line = await lineFor(id);
  expectCommonFields(line, 'rest');
  expect(line).toMatchObject({
    method: '/stategate.EventService/Stream',
    stream: true,
    ended: 'client went away',
    code: 'CANCELLED',
    msg: 'stream ended',
  });
});

it('a GraphQL operation with several root fields names each one’s method', async () => {
  const id = `gql-many-${uid()}`;
  await gql(
    `${app.url}/api/graphql`,
    `query { a: getEntity(input: {domain: "${D}", type: "t", key: "x"}) { key } b: searchEvents(input: {domain: "${D}", type: "t", limit: 1}) { events { id } } }`,
    {},
    { 'x-request-id': id },
  );
  const line = await lineFor(id);
  expect(line.transport).toBe('graphql');
  expect(line.methods).toEqual(
    expect.arrayContaining(['/stategate.EntityService/Get', '/stategate.EventService/Search']),
  );
});

it('graphql-ws: one line per operation, a subscription’s when the client completes it', async () => {
  const client = wsClient(`${app.url.replace(/^http/, 'ws')}/api/graphql`);
  try {
    const before = lines.length;
    await new Promise<void>((resolve, reject) => {
      client.subscribe(
        { query: `query Lookup { getEntity(input: {domain: "${D}", type: "t", key: "${uid()}"}) { key } }` },
        { next() {}, error: reject, complete: resolve },
      );
    });
    await until(() => lines.slice(before).some((l) => l.transport === 'graphql-ws'), 'the query’s line', 5_000);
    const query = lines.slice(before).find((l) => l.transport === 'graphql-ws')!;
    expect(query).toMatchObject({
      level: 'info',
      method: '/stategate.EntityService/Get',
      operation: 'Lookup',
      code: 'NOT_FOUND',
      msg: 'request',
    });
    expect(typeof query.requestId).toBe('string');
    expect(typeof query.durationMs).toBe('number');

    const mark = lines.length;
    const unsubscribe = client.subscribe(
      { query: `subscription Watch { streamEvents(input: {domain: "${D}", type: "t"}) { id } }` },
      { next() {}, error() {}, complete() {} },
    );
    await sleep(200);
    unsubscribe();
    await until(() => lines.slice(mark).some((l) => l.operation === 'Watch'), 'the subscription’s line', 5_000);
    expect(lines.slice(mark).find((l) => l.operation === 'Watch')).toMatchObject({
      transport: 'graphql-ws',
      method: '/stategate.EventService/Stream',
      stream: true,
      ended: 'client went away',
      code: 'CANCELLED',
    });
  } finally {
    await client.dispose();
  }
});
