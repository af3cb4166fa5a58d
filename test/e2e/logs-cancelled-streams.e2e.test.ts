import { request as httpRequest } from 'node:http';
import { constants as http2, connect as http2Connect } from 'node:http2';
import { createClient as createRpcClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { EventService } from '../../src/generated/stategate_pb.js';
import { wsClient } from '../support/graphql.js';
import { GrpcClient } from '../support/grpc.js';
import { type StoredServerProcess, spawnStoredServer } from '../support/process.js';
import { rest } from '../support/rest.js';
import { sleep, uid, until } from './helpers.js';

/**
 * A client that cancels its stream is an everyday event, not a server fault: 100 cancelled streams on each
 * transport, cancelled while events are being written to them, leave no `error` line (nor anything on
 * stderr) — each ends with one request line saying the client went away. The server is its own process.
 */

const D = 'e2e-logs-cancel';
const STREAMS = 100;
const BATCH = 10;
const SUBSCRIPTION = `subscription { streamEvents(input: {domain: "${D}", type: "t"}) { id } }`;

let server: StoredServerProcess;
let writing = true;
let writer: Promise<void>;

beforeAll(async () => {
  server = await spawnStoredServer({ STATEGATE_LOG_LEVEL: 'debug' });
  // Events keep flowing to every stream, so cancellations race the server's writes.
  writer = (async () => {
    while (writing) {
      await rest(server.url, `/api/entity/ref/${D}/t/${uid()}`, { method: 'POST', body: { values: { a: 1 } } });
      await sleep(2);
    }
  })();
}, 30_000);
afterAll(async () => {
  writing = false;
  await writer;
  await server?.close();
});

async function inBatches(open: () => Promise<void>): Promise<void> {
  for (let done = 0; done < STREAMS; done += BATCH) await Promise.all(Array.from({ length: BATCH }, open));
}

function expectNoErrors(transport: string): void {
  const errors = server.logs.filter((l) => l.level === 'error' || l.level === 'fatal');
  expect(errors).toEqual([]);
  // Node's own process warnings aside (Yoga's SSE sets a status message HTTP/2 does not carry).
  const stderr = server
    .stderr()
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^\(node:\d+\) \w*Warning|^\(Use `node --trace-warnings/.test(line));
  expect(stderr).toEqual([]);
  // …and each stream did end with its request line (a stream cancelled before core opened it is a plain
  // request line of the same method).
  const ended = server.logs.filter(
    (l) =>
      (l.msg === 'request' || l.msg === 'stream ended') &&
      l.transport === transport &&
      l.method === '/stategate.EventService/Stream',
  );
  // Half of the RPC streams are cancelled at a random early moment, some before their request left the
  // client; the other half after their first item, which the server surely served.
  expect(ended.length).toBeGreaterThanOrEqual(STREAMS / 2);
}

/** Opens a REST stream with node:http, reads its first event, and aborts the request. */
function restStream(accept: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}/api/events/stream?domain=${D}&type=t`, { headers: { accept } }, (res) => {
      res.once('data', () => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      res.on('error', () => {});
    });
    req.on('error', (err) => (req.destroyed ? resolve() : reject(err)));
    req.end();
  });
}

it('REST SSE and NDJSON aborted by node:http', async () => {
  await inBatches(() => restStream('text/event-stream'));
  await inBatches(() => restStream('application/x-ndjson'));
  await sleep(300);
  expectNoErrors('rest');
}, 120_000);

it('REST SSE and GraphQL SSE over HTTP/2 (h2c) reset by node:http2', async () => {
  const session = http2Connect(server.url);
  session.on('error', () => {});
  const open = (path: string, method: string, body?: string) =>
    new Promise<void>((resolve) => {
      const stream = session.request({
        ':method': method,
        ':path': path,
        accept: 'text/event-stream',
        ...(body ? { 'content-type': 'application/json' } : {}),
      });
      stream.on('error', () => {});
      stream.once('data', () => {
        setTimeout(() => {
          stream.close(http2.NGHTTP2_CANCEL);
          resolve();
        }, Math.random() * 5);
      });
      stream.once('close', () => resolve());
      stream.end(body);
    });
  try {
    await inBatches(() => open(`/api/events/stream?domain=${D}&type=t`, 'GET'));
    await inBatches(() => open('/api/graphql', 'POST', JSON.stringify({ query: SUBSCRIPTION })));
  } finally {
    session.close();
  }
  await sleep(300);
  expectNoErrors('rest');
  expectNoErrors('graphql');
}, 120_000);

it('gRPC cancelled by @grpc/grpc-js', async () => {
  const client = new GrpcClient(server.url.replace(/^http:\/\//, ''));
  try {
    await inBatches(async () => {
      const stream = client.stream('EventService', 'Stream', { domain: D, type: 't' });
      if (Math.random() < 0.5) await stream.waitFor(1);
      else await sleep(Math.random() * 5);
      stream.cancel();
      await stream.ended;
    });
  } finally {
    client.close();
  }
  await sleep(300);
  expectNoErrors('grpc');
}, 120_000);

// Over HTTP/2 the client's abort resets the stream while the server writes to it (once ~40 in 100
// ERR_STREAM_DESTROYED `error` lines): cancelled right after the first item, or at a random moment.
it.each([
  ['connect', '1.1', createConnectTransport],
  ['connect', '2', createConnectTransport],
  ['grpc-web', '2', createGrpcWebTransport],
] as const)(
  '%s over HTTP/%s server streams aborted by connect-es',
  async (transport, httpVersion, makeTransport) => {
    const client = createRpcClient(EventService, makeTransport({ baseUrl: server.url, httpVersion }));
    let n = 0;
    await inBatches(async () => {
      const abort = new AbortController();
      const early = n++ % 2 === 0;
      if (early) setTimeout(() => abort.abort(), Math.random() * 5);
      try {
        for await (const _event of client.stream({ domain: D, type: 't' }, { signal: abort.signal })) abort.abort();
      } catch {
        // the client's own abort
      }
    });
    await sleep(300);
    expectNoErrors(transport);
  },
  120_000,
);

it('GraphQL over SSE aborted by the client', async () => {
  await inBatches(async () => {
    const abort = new AbortController();
    const res = await fetch(`${server.url}/api/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: SUBSCRIPTION }),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    await reader.read().catch(() => undefined);
    abort.abort();
    await reader.closed.catch(() => undefined);
  });
  await sleep(300);
  expectNoErrors('graphql');
}, 120_000);

it('graphql-ws operations completed by the client', async () => {
  const client = wsClient(`${server.url.replace(/^http/, 'ws')}/api/graphql`);
  try {
    await inBatches(async () => {
      let got = false;
      const unsubscribe = client.subscribe(
        { query: SUBSCRIPTION },
        { next: () => (got = true), error() {}, complete() {} },
      );
      await until(() => got, 'a graphql-ws event', 10_000);
      unsubscribe();
    });
  } finally {
    await client.dispose();
  }
  await sleep(300);
  expectNoErrors('graphql-ws');
}, 120_000);
