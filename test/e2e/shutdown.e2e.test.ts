import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import Database from 'better-sqlite3';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { EventService, StreamEventOptsSchema } from '../../src/generated/stategate_pb.js';
import { GrpcClient } from '../support/grpc.js';
import { type ServerProcess, spawnServer, spawnStoredServer } from '../support/process.js';
import { openNdjson, openSse } from '../support/rest.js';
import { EVENT_FIELDS, sleep, until } from './helpers.js';

/**
 * Graceful shutdown of the real process (`node dist/main.js`) under traffic: SIGTERM mid-writes ends every
 * event stream on every transport with UNAVAILABLE and the position to resume after, the process exits 0
 * within STATEGATE_SHUTDOWN_TIMEOUT_MS, every acknowledged write is in the log after a restart on the same
 * SQLite file, and each stream resumed after its last position gets the rest of the log exactly once.
 */

const SHUTDOWN_TIMEOUT_MS = 3000;
/** Process start-up, signal delivery and a loaded 2-core machine: the exit bound is the timeout plus this. */
const SCHEDULING_SLACK_MS = 4000;
const D = 'e2e-shutdown';
const T = 'doc';
const WRITERS = 20;
const RESUME = /^server is shutting down: reconnect and resume after position (\d+)$/;

/** How a stream ended, in its transport's own terms, reduced to a gRPC-style code and the message. */
interface Ending {
  code: number | string;
  message: string;
}

/** One event stream being watched: the positions it delivered and how it ended. */
interface Watched {
  positions: number[];
  ended: Promise<Ending>;
  close(): void;
}

type Open = (url: string, after: number | undefined) => Promise<Watched>;

const STREAM_EVENTS = `subscription ($input: StreamEventOpts!) { streamEvents(input: $input) { ${EVENT_FIELDS} } }`;
const variables = (after: number | undefined) => ({
  input: { domain: D, ...(after === undefined ? {} : { after: String(after) }) },
});
const query = (after: number | undefined) => (after === undefined ? `domain=${D}` : `domain=${D}&after=${after}`);

const graphqlWs: Open = async (url, after) => {
  // Lazy: the socket lives as long as the subscription, so the server closing it afterwards is no error.
  const client = createWsClient({
    url: `${url.replace(/^http/, 'ws')}/api/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
  });
  const positions: number[] = [];
  let settle!: (e: Ending) => void;
  const ended = new Promise<Ending>((resolve) => {
    settle = resolve;
  });
  let last: Ending | null = null;
  client.subscribe<{ streamEvents: { position: string } }>(
    { query: STREAM_EVENTS, variables: variables(after) },
    {
      next: (value) => {
        const error = value.errors?.[0] as { message: string; extensions?: { code?: string } } | undefined;
        if (error) last = { code: error.extensions?.code ?? '?', message: error.message };
        else positions.push(Number(value.data!.streamEvents.position));
      },
      error: (err) => {
        const close = err as { code?: number; reason?: string };
        settle(last ?? { code: `close ${close.code}`, message: String(close.reason ?? err) });
      },
      complete: () => settle(last ?? { code: 'complete', message: '' }),
    },
  );
  return { positions, ended, close: () => void client.dispose() };
};

/** GraphQL over SSE (graphql-sse "distinct connections" mode, as Yoga serves it): POST, event: next / complete. */
const graphqlSse: Open = async (url, after) => {
  const abort = new AbortController();
  const res = await fetch(`${url}/api/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query: STREAM_EVENTS, variables: variables(after) }),
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  const positions: number[] = [];
  const ended = (async (): Promise<Ending> => {
    let last: Ending = { code: 'eof', message: '' };
    let pending = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        pending += decoder.decode(chunk, { stream: true });
        const blocks = pending.split('\n\n');
        pending = blocks.pop() ?? '';
        for (const block of blocks) {
          const lines = block.split('\n');
          const event = lines
            .find((l) => l.startsWith('event:'))
            ?.slice(6)
            .trim();
          const data = lines
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trim())
            .join('\n');
          if (event !== 'next') continue;
          const payload = JSON.parse(data) as {
            data?: { streamEvents: { position: string } };
            errors?: Array<{ message: string; extensions?: { code?: string } }>;
          };
          if (payload.errors?.[0])
            last = { code: payload.errors[0].extensions?.code ?? '?', message: payload.errors[0].message };
          else positions.push(Number(payload.data!.streamEvents.position));
        }
      }
    } catch (err) {
      return { code: 'aborted', message: String(err) };
    }
    return last;
  })();
  return { positions, ended, close: () => abort.abort() };
};

const restSse: Open = async (url, after) => {
  const stream = await openSse(`${url}/api/events/stream?${query(after)}`);
  expect(stream.response.status).toBe(200);
  let last: Ending = { code: 'eof', message: '' };
  const seen = stream.items;
  const ended = stream.ended.then(() => {
    for (const item of seen) {
      if (item.event === 'error') {
        const error = JSON.parse(item.data) as { code: number; message: string };
        last = { code: error.code, message: error.message };
      }
    }
    return last;
  });
  return {
    get positions() {
      return seen
        .filter((i) => i.event !== 'error')
        .map((i) => Number((JSON.parse(i.data) as { position: string }).position));
    },
    ended,
    close: () => stream.close(),
  } as Watched;
};

const restNdjson: Open = async (url, after) => {
  const stream = await openNdjson(`${url}/api/events/stream?${query(after)}`);
  expect(stream.response.status).toBe(200);
  const seen = stream.items as Array<{ position?: string; error?: { code: number; message: string } }>;
  const ended = stream.ended.then((): Ending => {
    const error = seen.find((i) => i.error)?.error;
    return error ? { code: error.code, message: error.message } : { code: 'eof', message: '' };
  });
  return {
    get positions() {
      return seen.filter((i) => !i.error).map((i) => Number(i.position));
    },
    ended,
    close: () => stream.close(),
  } as Watched;
};

const grpcJs: Open = async (url, after) => {
  const client = new GrpcClient(url.replace(/^http:\/\//, ''));
  const stream = client.stream<{ position: string }>('EventService', 'Stream', {
    domain: D,
    ...(after === undefined ? {} : { after: String(after) }),
  });
  const ended = stream.ended.then((s): Ending => ({ code: s.code, message: s.details }));
  ended.finally(() => client.close());
  return {
    get positions() {
      return stream.items.map((e) => Number(e.position));
    },
    ended,
    close: () => {
      stream.cancel();
      client.close();
    },
  } as Watched;
};

const connect: Open = async (url, after) => {
  const abort = new AbortController();
  const events = createClient(EventService, createConnectTransport({ baseUrl: url, httpVersion: '1.1' }));
  const positions: number[] = [];
  const request = create(StreamEventOptsSchema, {
    domain: D,
    ...(after === undefined ? {} : { after: BigInt(after) }),
  });
  const ended = (async (): Promise<Ending> => {
    try {
      for await (const event of events.stream(request, { signal: abort.signal }))
        positions.push(Number(event.position));
      return { code: 'OK', message: '' };
    } catch (err) {
      const e = ConnectError.from(err);
      return { code: Code[e.code]!, message: e.rawMessage };
    }
  })();
  return { positions, ended, close: () => abort.abort() };
};

/** Each transport, how it opens a stream, and the code it reports UNAVAILABLE as. */
const TRANSPORTS: Array<{ name: string; open: Open; unavailable: number | string; after?: number }> = [
  { name: 'graphql-ws', open: graphqlWs, unavailable: 'UNAVAILABLE' },
  { name: 'GraphQL SSE', open: graphqlSse, unavailable: 'UNAVAILABLE', after: 0 },
  { name: 'REST SSE', open: restSse, unavailable: 14 },
  { name: 'REST NDJSON', open: restNdjson, unavailable: 14, after: 0 },
  { name: 'gRPC (grpc-js, h2c)', open: grpcJs, unavailable: 14, after: 0 },
  { name: 'Connect', open: connect, unavailable: 'Unavailable' },
];

/** A REST Set; answers its status and, when refused, the error's message. */
async function setEntity(url: string, key: string, n: number): Promise<{ status: number; message?: string }> {
  const res = await fetch(`${url}/api/entity/ref/${D}/${T}/${key}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ values: { n } }),
  });
  const body = (await res.json()) as { message?: string };
  return res.status === 200 ? { status: 200 } : { status: res.status, message: body.message };
}

/** The whole log as stored in the SQLite file: position and the entity's key and values. */
function storedLog(dbPath: string): Array<{ position: number; key: string; n: number }> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT position, key, "values" AS v FROM events ORDER BY position').all() as Array<{
      position: number;
      key: string;
      v: string;
    }>;
    return rows.map((r) => ({ position: r.position, key: r.key, n: (JSON.parse(r.v) as { n: number }).n }));
  } finally {
    db.close();
  }
}

const env = { STATEGATE_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), STATEGATE_METRICS_PORT: '0' };
const running: ServerProcess[] = [];
let dataDir: string | null = null;
afterAll(async () => {
  for (const server of running) await server.kill('SIGKILL');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('SIGTERM under traffic: streams end UNAVAILABLE with where to resume, acked writes survive, resumes are exact', async () => {
  const first = await spawnStoredServer(env);
  running.push(first);
  dataDir = dirname(first.dbPath);

  for (let i = 0; i < 5; i++) expect((await setEntity(first.url, 'seed', i)).status).toBe(200);
  const streams = await Promise.all(TRANSPORTS.map((t) => t.open(first.url, t.after)));
  // Every stream is open and live once it delivered an event written after it was opened. A client may
  // see its stream open a moment before the server registered it, so a marker written in between passes
  // that stream by: markers are written until every stream delivered one.
  const marker = Number.MAX_SAFE_INTEGER;
  const live = () => streams.every((s) => s.positions.length > 0 && s.positions.at(-1)! >= 6);
  const markersUntil = Date.now() + 20_000;
  while (!live()) {
    if (Date.now() > markersUntil) throw new Error('timed out waiting for every stream to deliver a marker event');
    expect((await setEntity(first.url, 'marker', marker)).status).toBe(200);
    await until(live, 'every stream delivered a marker event', 1_000).catch(() => {});
  }

  // 20 writers, each setting its own entity in a loop until the server stops answering; an acknowledged
  // write is one answered 200.
  const acked: Array<{ key: string; n: number }> = [];
  const refused: Array<{ status: number; message?: string }> = [];
  let stop = false;
  const writers = Array.from({ length: WRITERS }, async (_, w) => {
    for (let n = 0; !stop; n++) {
      try {
        const answer = await setEntity(first.url, `w${w}`, n);
        if (answer.status === 200) acked.push({ key: `w${w}`, n });
        else {
          refused.push(answer);
          return;
        }
      } catch {
        return; // connection refused or reset: the server is gone
      }
    }
  });
  await until(() => acked.length >= 200, 'writes are flowing', 20_000);

  const signalled = Date.now();
  const exited = first.kill('SIGTERM');
  const code = await exited;
  const tookMs = Date.now() - signalled;
  stop = true;
  await Promise.all(writers);

  expect(code).toBe(0);
  expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + SCHEDULING_SLACK_MS);
  expect(first.logs.some((l) => l.msg === 'stopped')).toBe(true);
  // A write in flight at the signal is answered; one arriving on a kept-alive connection afterwards is
  // refused with a clear "retry elsewhere" (never a server error, nor a storage closed under it).
  for (const answer of refused) {
    expect(answer).toEqual({ status: 503, message: 'server is shutting down: retry on another instance' });
  }

  // Every stream ended in its transport's shape with UNAVAILABLE and the position after which to resume,
  // which is the last position it delivered (buffered events are dropped with the stream, not skipped).
  const endings = await Promise.all(streams.map((s) => s.ended));
  const lastSeen = streams.map((s) => s.positions.at(-1)!);
  expect(endings.map((e, i) => ({ transport: TRANSPORTS[i]!.name, code: e.code, message: e.message }))).toEqual(
    TRANSPORTS.map((t, i) => ({
      transport: t.name,
      code: t.unavailable,
      message: `server is shutting down: reconnect and resume after position ${lastSeen[i]}`,
    })),
  );
  for (const e of endings) expect(e.message).toMatch(RESUME);

  // Restart on the same SQLite file: every acknowledged write is in the log.
  const log = storedLog(first.dbPath);
  const positions = log.map((e) => e.position);
  const stored = new Set(log.map((e) => `${e.key}=${e.n}`));
  const missing = acked.filter((a) => !stored.has(`${a.key}=${a.n}`));
  expect({ acked: acked.length, missing }).toEqual({ acked: acked.length, missing: [] });

  const second = await spawnServer({
    STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'sqlite', path: first.dbPath }),
    ...env,
  });
  running.push(second);
  // A write after the restart reaches the resumed streams live, after their replay.
  const resumed = await Promise.all(TRANSPORTS.map((t, i) => t.open(second.url, lastSeen[i])));
  expect((await setEntity(second.url, 'after-restart', 1)).status).toBe(200);
  const head = storedLog(first.dbPath).at(-1)!.position;
  await until(() => resumed.every((s) => s.positions.at(-1) === head), 'every resumed stream reached the head', 20_000);
  await sleep(200); // a duplicate would arrive after the head
  const all = [...positions, head];
  TRANSPORTS.forEach((t, i) => {
    const before = streams[i]!.positions;
    // Before the shutdown: a contiguous stretch of the log, in order, without duplicates.
    const from = all.indexOf(before[0]!);
    expect({ transport: t.name, positions: before }).toEqual({
      transport: t.name,
      positions: all.slice(from, from + before.length),
    });
    // After: exactly the rest of the log.
    expect({ transport: t.name, positions: resumed[i]!.positions }).toEqual({
      transport: t.name,
      positions: all.filter((p) => p > lastSeen[i]!),
    });
  });
  for (const s of resumed) s.close();
  // The clients just went away; a connection they left without a request yet must not hold the exit up
  // past the timeout either (it is in neither HTTP server until its first bytes arrive).
  const again = Date.now();
  expect(await second.kill('SIGTERM')).toBe(0);
  expect(Date.now() - again).toBeLessThan(SHUTDOWN_TIMEOUT_MS + SCHEDULING_SLACK_MS);
}, 60_000);
