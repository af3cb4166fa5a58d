/**
 * REST streams against a real server: server-sent events (id = position, Last-Event-ID resumes exactly
 * once) and newline-delimited JSON, for events and peer messages; the client going away closes the
 * stream in core; the server ending a stream sends a last error item.
 */
import { openNdjson, openSse, rest, type SseEvent } from '../support/rest.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { subscribers, UUID_V4, uid, until } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const closers: Array<() => void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await subscribers(server, 'event', 0);
  await subscribers(server, 'message', 0);
});

async function sse(path: string, headers: Record<string, string> = {}) {
  const stream = await openSse(`${server.app.url}${path}`, headers);
  closers.push(stream.close);
  return stream;
}

async function ndjson(path: string, headers: Record<string, string> = {}) {
  const stream = await openNdjson(`${server.app.url}${path}`, headers);
  closers.push(stream.close);
  return stream;
}

async function set(domain: string, key: string, values: Record<string, unknown>): Promise<void> {
  const res = await rest(server.app.url, `/api/entity/ref/${domain}/user/${key}`, { method: 'POST', body: { values } });
  expect(res.status).toBe(200);
}

/** The positions of a domain's events in the log, in order. */
async function positionsOf(domain: string): Promise<string[]> {
  const res = await rest(
    server.app.url,
    `/api/events/search?domain=${domain}&type=user&limit=1000&sort.field=position`,
  );
  expect(res.status).toBe(200);
  return ((res.body as { events?: Array<{ position: string }> }).events ?? []).map((e) => e.position);
}

interface EventJson {
  id: string;
  position: string;
  method: string;
  entity: { key: string; version: string; values: Record<string, unknown> };
}

const data = (e: SseEvent) => JSON.parse(e.data) as EventJson;

describe('events over server-sent events', () => {
  it('streams live events: id = position, data = the event in protojson', async () => {
    const D = uid('sse');
    const stream = await sse(`/api/events/stream?domain=${D}`);
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await subscribers(server, 'event', 1);
    await set(D, 'a', { n: 1 });
    await set(D, 'b', { n: 2 });
    const [first, second] = await stream.waitFor(2);
    expect(first).toEqual({ event: 'message', id: data(first!).position, data: expect.any(String) });
    expect(data(first!)).toMatchObject({
      id: expect.stringMatching(UUID_V4),
      method: '/stategate.EntityService/Set',
      entity: { key: 'a', version: '1', values: { n: 1 } },
    });
    expect(data(second!).entity.key).toBe('b');
    expect(await positionsOf(D)).toEqual([first!.id, second!.id]);
  });

  it('Last-Event-ID resumes after that position: replay, then live, each event exactly once', async () => {
    const D = uid('resume');
    for (let i = 0; i < 5; i++) await set(D, `k${i}`, { i });
    const before = await positionsOf(D);
    const resumeFrom = before[1]!;

    // Writers run while the stream opens and replays, so the handover from replay to live is exercised.
    const writes = (async () => {
      for (let i = 5; i < 25; i++) await set(D, `k${i % 7}`, { i });
    })();
    const stream = await sse(`/api/events/stream?domain=${D}`, { 'last-event-id': resumeFrom });
    await writes;
    const all = await positionsOf(D);
    const expected = all.filter((p) => BigInt(p) > BigInt(resumeFrom));
    const got = await stream.waitFor(expected.length);
    expect(got.map((e) => e.id)).toEqual(expected);
    expect(got.map((e) => data(e).position)).toEqual(expected);
    // Nothing more arrives: no duplicate after the handover.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stream.items).toHaveLength(expected.length);
  });

  it('reconnecting as EventSource does (Last-Event-ID = the last id seen) loses and repeats nothing', async () => {
    const D = uid('reconnect');
    const first = await sse(`/api/events/stream?domain=${D}`);
    await subscribers(server, 'event', 1);
    for (let i = 0; i < 3; i++) await set(D, 'k', { i });
    const seen = await first.waitFor(3);
    first.close();
    await subscribers(server, 'event', 0);

    // Written while no stream is open.
    for (let i = 3; i < 6; i++) await set(D, 'k', { i });
    const second = await sse(`/api/events/stream?domain=${D}`, { 'last-event-id': seen[2]!.id! });
    await subscribers(server, 'event', 1);
    for (let i = 6; i < 8; i++) await set(D, 'k', { i });
    const rest = await second.waitFor(5);

    const ids = [...seen, ...rest].map((e) => e.id);
    expect(ids).toEqual(await positionsOf(D));
    expect([...seen, ...rest].map((e) => data(e).entity.values.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('Last-Event-ID replaces the after query parameter', async () => {
    const D = uid('both');
    for (let i = 0; i < 3; i++) await set(D, `k${i}`, { i });
    const positions = await positionsOf(D);
    const stream = await sse(`/api/events/stream?domain=${D}&after=0`, { 'last-event-id': positions[1]! });
    const [only] = await stream.waitFor(1);
    expect(only!.id).toBe(positions[2]);
  });

  it('glob filters, key included, select the events', async () => {
    const D = uid('glob');
    const stream = await sse(`/api/events/stream?domain=${D}&type=us?r&key=a*`);
    await subscribers(server, 'event', 1);
    await set(D, 'bob', { n: 1 });
    await set(D, 'alice', { n: 2 });
    const [only] = await stream.waitFor(1);
    expect(data(only!).entity.key).toBe('alice');
  });

  it('a bad Last-Event-ID or bad options are refused before the stream opens (400 JSON)', async () => {
    for (const [path, headers] of [
      ['/api/events/stream', { 'last-event-id': 'abc' }],
      ['/api/events/stream?consumer_group=a%20b', {}],
      [`/api/events/stream?domain=${'*'.repeat(300)}`, {}],
      ['/api/events/stream?after=-1', {}],
      ['/api/events/stream?bogus=1', {}],
    ] as const) {
      const res = await rest(server.app.url, path, { headers: { accept: 'text/event-stream', ...headers } });
      expect({ path, status: res.status, body: res.body }).toEqual({
        path,
        status: 400,
        body: { code: 3, message: expect.any(String), details: [] },
      });
    }
  });

  it('a client that goes away closes its stream in core', async () => {
    const D = uid('gone');
    const stream = await sse(`/api/events/stream?domain=${D}`);
    await subscribers(server, 'event', 1);
    stream.close();
    await subscribers(server, 'event', 0);
  });
});

describe('events over newline-delimited JSON', () => {
  it('is the default without Accept: text/event-stream; after=0 replays the whole log of the filter, then live', async () => {
    const D = uid('nd');
    await set(D, 'a', { n: 1 });
    await set(D, 'a', { n: 2 });
    const stream = await ndjson(`/api/events/stream?domain=${D}&after=0`);
    expect(stream.response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    await stream.waitFor(2);
    await set(D, 'b', { n: 3 });
    const items = (await stream.waitFor(3)) as EventJson[];
    expect(items.map((e) => e.position)).toEqual(await positionsOf(D));
    expect(items.map((e) => e.entity.values.n)).toEqual([1, 2, 3]);
  });

  it('answers its headers at once, before any event', async () => {
    const D = uid('ndlive');
    const stream = await ndjson(`/api/events/stream?domain=${D}`);
    expect(stream.response.status).toBe(200);
    await subscribers(server, 'event', 1);
    await set(D, 'x', { n: 1 });
    const [item] = (await stream.waitFor(1)) as EventJson[];
    expect(item!.entity.key).toBe('x');
  });
});

describe('peer messages', () => {
  const broadcast = async (domain: string, text: string) => {
    const res = await rest(server.app.url, '/api/peers/broadcast', {
      method: 'POST',
      body: { domain, channel: 'general', type: 'comment', body: { text } },
    });
    expect(res.status).toBe(200);
  };

  it('stream as server-sent events with id = the message id', async () => {
    const D = uid('peer');
    const stream = await sse(`/api/peers/stream?domain=${D}&channel=gen*`);
    await subscribers(server, 'message', 1);
    await broadcast(D, 'hello');
    const [event] = await stream.waitFor(1);
    const message = JSON.parse(event!.data) as Record<string, unknown>;
    expect(message).toEqual({
      id: event!.id,
      domain: D,
      channel: 'general',
      type: 'comment',
      body: { text: 'hello' },
      claims: {},
      time: expect.stringMatching(/^\d+$/),
    });
    expect(event!.id).toMatch(UUID_V4);
  });

  it('stream as NDJSON, with consumer_group (camelCase consumerGroup too)', async () => {
    const D = uid('peernd');
    const stream = await ndjson(`/api/peers/stream?domain=${D}&consumerGroup=g1`);
    await subscribers(server, 'message', 1);
    await broadcast(D, 'one');
    await broadcast(D, 'two');
    const items = (await stream.waitFor(2)) as Array<{ body: { text: string } }>;
    expect(items.map((m) => m.body.text)).toEqual(['one', 'two']);
  });

  it('a client that goes away closes its stream in core', async () => {
    const stream = await ndjson(`/api/peers/stream?domain=${uid('peergone')}`);
    await subscribers(server, 'message', 1);
    stream.close();
    await subscribers(server, 'message', 0);
  });
});

describe('a stream the server ends', () => {
  it('ends with a last error item: SSE event: error, NDJSON {"error": …} (shutdown: UNAVAILABLE)', async () => {
    const own = await startTestServer();
    try {
      const a = await openSse(`${own.app.url}/api/events/stream`);
      const b = await openNdjson(`${own.app.url}/api/peers/stream`);
      await until(() => own.app.stategate.stats().eventSubscribers === 1, 'the SSE stream is open');
      await until(() => own.app.stategate.stats().messageSubscribers === 1, 'the NDJSON stream is open');
      const closed = own.close();
      await Promise.all([a.ended, b.ended]);
      await closed;
      expect(a.items).toEqual([{ event: 'error', data: expect.any(String) }]);
      expect(JSON.parse(a.items[0]!.data)).toEqual({ code: 14, message: expect.any(String), details: [] });
      expect(b.items).toEqual([{ error: { code: 14, message: expect.any(String), details: [] } }]);
    } finally {
      await own.close();
    }
  });

  it('cuts off a reader too slow to keep up with RESOURCE_EXHAUSTED as its last item', async () => {
    const own = await startTestServer({ STATEGATE_STREAM_BUFFER: '8' });
    try {
      const D = uid('slow');
      // fetch reads the body only as it is consumed: not reading it fills the TCP buffers, then core's.
      const slow = await openNdjson(`${own.app.url}/api/events/stream?domain=${D}`, {}, { paused: true });
      await until(() => own.app.stategate.stats().eventSubscribers === 1, 'the stream is open');
      const blob = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 300 && own.app.stategate.stats().eventSubscribers > 0; i++) {
        const res = await rest(own.app.url, `/api/entity/ref/${D}/user/k${i % 10}`, {
          method: 'POST',
          body: { values: { i, blob } },
        });
        expect(res.status).toBe(200);
      }
      await until(() => own.app.stategate.stats().eventSubscribers === 0, 'the slow stream was cut off');
      slow.resume();
      await slow.ended;
      const last = slow.items[slow.items.length - 1];
      expect(last).toEqual({ error: { code: 8, message: expect.stringMatching(/resume/), details: [] } });
      // What arrived before it is in order, without gaps.
      const got = slow.items.slice(0, -1) as EventJson[];
      const values = got.map((e) => e.entity.values.i);
      expect(values).toEqual(values.map((_, i) => i));
    } finally {
      await own.close();
    }
  });
});
