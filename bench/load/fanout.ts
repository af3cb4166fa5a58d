import { Agent, type ClientRequest, request } from 'node:http';
import { createClient } from '@connectrpc/connect';
import WebSocket from 'ws';
import { EventService } from '../../src/generated/stategate_pb.js';
import { histogram, latencyOf, nowMs } from '../lib/stats.js';
import { grpcTransport } from './grpc.js';

/**
 * Fan-out: `n` subscribers of one transport, and one publisher at a fixed rate whose writes carry their
 * scheduled send time (`values.t`, this process's clock) and sequence number; every delivery is timed
 * against it. Subscribers speak their protocol directly (graphql-ws frames, SSE lines, gRPC stream), with
 * as little client work as possible so the server is what is measured.
 */

export type FanoutTransport = 'graphql-ws' | 'grpc' | 'sse' | 'raw-ws';

interface Delivery {
  t: number;
  seq: number;
}

const STREAM = 'subscription ($input: StreamEventOpts!) { streamEvents(input: $input) { position entity { values } } }';

let onDelivery: (d: Delivery) => void = () => {};
const closers: Array<() => void> = [];
let opened = 0;
let failed = 0;
let received = 0;
/** Sequence numbers are unique across runs, so a late delivery of an earlier run is never counted. */
let nextSeq = 0;

function deliver(values: unknown) {
  const v = values as { t?: number; seq?: number } | undefined;
  received++;
  if (v && typeof v.t === 'number' && typeof v.seq === 'number') onDelivery({ t: v.t, seq: v.seq });
}

function openGraphqlWs(url: string, domain: string): Promise<void> {
  return new Promise((ready, fail) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/graphql`, 'graphql-transport-ws');
    closers.push(() => ws.terminate());
    ws.on('open', () => ws.send('{"type":"connection_init"}'));
    ws.on('error', fail);
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as {
        type: string;
        payload?: { data?: { streamEvents?: { entity?: { values?: unknown } } } };
      };
      if (msg.type === 'next') deliver(msg.payload?.data?.streamEvents?.entity?.values);
      else if (msg.type === 'connection_ack') {
        ws.send(
          JSON.stringify({ id: '1', type: 'subscribe', payload: { query: STREAM, variables: { input: { domain } } } }),
        );
        ready();
      } else if (msg.type === 'ping') ws.send('{"type":"pong"}');
    });
  });
}

function openRawWs(url: string): Promise<void> {
  return new Promise((ready, fail) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
    closers.push(() => ws.terminate());
    ws.on('open', () => ready());
    ws.on('error', fail);
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as {
        payload?: { data?: { streamEvents?: { entity?: { values?: unknown } } } };
      };
      deliver(msg.payload?.data?.streamEvents?.entity?.values);
    });
  });
}

function openSse(url: string, domain: string): Promise<void> {
  return new Promise((ready, fail) => {
    const req: ClientRequest = request(
      `${url}/api/events/stream?domain=${domain}`,
      { headers: { accept: 'text/event-stream' }, agent: false },
      (res) => {
        if (res.statusCode !== 200) return fail(new Error(`SSE status ${res.statusCode}`));
        ready();
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            for (const line of block.split('\n')) {
              if (line.startsWith('data:')) {
                const event = JSON.parse(line.slice(5)) as { entity?: { values?: unknown } };
                deliver(event.entity?.values);
              }
            }
            end = buffer.indexOf('\n\n');
          }
        });
        res.on('error', () => {});
      },
    );
    req.on('error', fail);
    req.end();
    closers.push(() => req.destroy());
  });
}

const grpcSessions: ReturnType<typeof grpcTransport>[] = [];
function openGrpc(url: string, domain: string, i: number): Promise<void> {
  // 100 streams per HTTP/2 connection, as a client pool would spread them.
  if (i % 100 === 0) grpcSessions.push(grpcTransport(url));
  const client = createClient(EventService, grpcSessions[grpcSessions.length - 1]!);
  const abort = new AbortController();
  closers.push(() => abort.abort());
  // The server sends a stream's headers with its first message, so "open" is confirmed by warm().
  (async () => {
    const stream = client.stream({ domain }, { signal: abort.signal });
    for await (const event of stream) deliver(event.entity?.values);
  })().catch(() => {});
  return new Promise((ready) => setImmediate(ready));
}

/** Opens `n` subscribers (`concurrency` handshakes at a time); answers when all are open. */
export async function subscribe(job: { url: string; transport: FanoutTransport; n: number; domain: string }) {
  const started = nowMs();
  let i = 0;
  const open = () => {
    const k = i++;
    switch (job.transport) {
      case 'graphql-ws':
        return openGraphqlWs(job.url, job.domain);
      case 'raw-ws':
        return openRawWs(job.url);
      case 'sse':
        return openSse(job.url, job.domain);
      case 'grpc':
        return openGrpc(job.url, job.domain, k);
    }
  };
  const worker = async () => {
    while (i < job.n) {
      try {
        await Promise.race([
          open(),
          new Promise((_, fail) => setTimeout(() => fail(new Error('open timed out')), 30_000)),
        ]);
        opened++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(64, job.n) }, worker));
  return { opened, failed, seconds: (nowMs() - started) / 1000 };
}

/**
 * Waits until no delivery has arrived for 500 ms (at most 30 s): a run the client could not keep up with
 * leaves messages in the socket buffers, and the next run must not start behind them.
 */
export async function quiesce() {
  const until = nowMs() + 30_000;
  let last = received;
  let quietSince = nowMs();
  while (nowMs() < until && nowMs() - quietSince < 500) {
    await new Promise((r) => setTimeout(r, 50));
    if (received !== last) {
      last = received;
      quietSince = nowMs();
    }
  }
}

export async function closeSubscribers() {
  for (const close of closers.splice(0)) close();
  grpcSessions.length = 0;
  await quiesce();
  opened = 0;
  failed = 0;
}

const publishAgent = new Agent({ keepAlive: true, maxSockets: 16 });
function post(url: string, path: string, body: string): Promise<number> {
  const target = new URL(url);
  return new Promise((done) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        method: 'POST',
        path,
        agent: publishAgent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      },
    );
    req.on('error', () => done(0));
    req.end(body);
  });
}

/** One write (stategate: a REST Set; raw: a POST of the frame the server broadcasts as it is). */
function publishOne(job: { url: string; transport: FanoutTransport; domain: string }, seq: number, t: number) {
  const values = { t, seq };
  if (job.transport === 'raw-ws') {
    const frame = JSON.stringify({
      id: '1',
      type: 'next',
      payload: { data: { streamEvents: { position: String(seq), entity: { values } } } },
    });
    return post(job.url, '/publish', frame);
  }
  return post(job.url, `/api/entity/ref/${job.domain}/fan/k${seq % 100}`, JSON.stringify({ values }));
}

/** Publishes until every subscriber has seen one event (a stream is live only once it has delivered). */
export async function warm(job: { url: string; transport: FanoutTransport; domain: string; n: number }) {
  const seen = new Set<number>();
  let count = 0;
  onDelivery = () => count++;
  const deadline = nowMs() + 60_000;
  let seq = -1;
  while (count < job.n && nowMs() < deadline) {
    count = 0;
    seen.add(seq);
    await publishOne(job, seq--, 0);
    const wait = nowMs() + 2000;
    while (count < job.n && nowMs() < wait) await new Promise((r) => setTimeout(r, 20));
  }
  onDelivery = () => {};
  return { live: count, warmups: seen.size };
}

/**
 * `events` writes at `rate`/s; waits for every delivery (or `drainS` after the last write). Per-delivery
 * latency is from each write's scheduled time; an event's "last" latency is when its last subscriber got it.
 */
export async function publish(job: {
  url: string;
  /** Where the writes go, when not to `url` (S7: write on instance A, subscribers on B). */
  publishUrl?: string;
  transport: FanoutTransport;
  domain: string;
  n: number;
  rate: number;
  events: number;
  drainS: number;
}) {
  const base = nextSeq;
  nextSeq += job.events;
  const target = { ...job, url: job.publishUrl ?? job.url };
  const h = histogram();
  const last = histogram();
  const perEvent = new Map<number, { t: number; got: number; lastAt: number }>();
  let delivered = 0;
  let lastRecv = 0;
  onDelivery = (d) => {
    const now = nowMs();
    const e = perEvent.get(d.seq);
    if (!e) return;
    delivered++;
    lastRecv = now;
    h.recordValue(Math.max(1, Math.round((now - d.t) * 1000)));
    e.got++;
    e.lastAt = now;
  };
  const start = nowMs() + 20;
  let next = 0;
  let writeErrors = 0;
  await new Promise<void>((finished) => {
    const tick = () => {
      const now = nowMs();
      while (next < job.events && start + (next * 1000) / job.rate <= now) {
        const t = start + (next * 1000) / job.rate;
        perEvent.set(base + next, { t, got: 0, lastAt: 0 });
        publishOne(target, base + next, t).then((status) => {
          if (status >= 300 || status === 0) writeErrors++;
        });
        next++;
      }
      if (next < job.events) setTimeout(tick, 1);
      else finished();
    };
    setTimeout(tick, 20);
  });
  const expected = job.events * job.n;
  const publishedAt = nowMs();
  while (delivered < expected && nowMs() < publishedAt + job.drainS * 1000) await new Promise((r) => setTimeout(r, 10));
  onDelivery = () => {};
  await quiesce();
  for (const e of perEvent.values())
    if (e.got === job.n) last.recordValue(Math.max(1, Math.round((e.lastAt - e.t) * 1000)));
  const spanS = Math.max(1e-3, ((lastRecv || nowMs()) - start) / 1000);
  return {
    rate: job.rate,
    events: job.events,
    subscribers: job.n,
    expected,
    delivered,
    writeErrors,
    deliveriesPerS: delivered / spanS,
    delivery: latencyOf(h),
    lastSubscriber: latencyOf(last),
    eventsFullyDelivered: last.totalCount,
  };
}

export function counters() {
  return { opened, failed, received };
}
