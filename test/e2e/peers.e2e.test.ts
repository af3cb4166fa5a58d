import type { Client } from 'graphql-ws';
import { collect, gql, wsClient } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  type Api,
  api,
  expectError,
  messageSubscribers,
  ok,
  Q,
  sleep,
  subscribers,
  UUID_V4,
  uid,
  until,
} from './helpers.js';

/** Peer messaging: broadcastMessage over HTTP, streamMessages over graphql-ws. */

interface PeerMessage {
  id: string;
  domain: string;
  channel: string;
  type: string;
  body: Record<string, unknown>;
  claims: Record<string, unknown>;
  time: string;
}
type Stream = ReturnType<typeof collect<{ streamMessages: PeerMessage }>>;

let server: TestServer;
let a: Api;
const clients: Client[] = [];
const streams: Stream[] = [];

beforeAll(async () => {
  server = await startTestServer();
  a = api(server.httpUrl);
});

afterEach(async () => {
  for (const s of streams.splice(0)) s.stop();
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  await subscribers(server, 'message', 0);
});

afterAll(async () => {
  await server?.close();
});

function client(): Client {
  const c = wsClient(server.wsUrl);
  clients.push(c);
  return c;
}

/** Opens one subscription per filter (on `on`, or each on its own connection) and waits until all are live. */
async function subscribe(filters: Array<Record<string, unknown>>, on?: Client): Promise<Stream[]> {
  const base = messageSubscribers(server);
  const opened = filters.map((input) => {
    const s = collect<{ streamMessages: PeerMessage }>(on ?? client(), Q.streamMessages, { input });
    streams.push(s);
    return s;
  });
  await subscribers(server, 'message', base + filters.length);
  return opened;
}

const bodies = (s: Stream) => s.items.map((item) => item.data?.streamMessages.body);

describe('streamMessages receives broadcastMessage', () => {
  it('with every field: id, domain, channel, type, body, claims, time', async () => {
    const domain = uid('chat');
    const [stream] = await subscribe([{ domain }]);
    const before = BigInt(Date.now()) * 1_000_000n;
    const sent = await a.broadcast({
      domain,
      channel: 'room-1',
      type: 'said',
      body: { text: 'hi', n: [1, { x: null }] },
    });
    expect(ok(sent)).toEqual({ broadcastMessage: true });
    await stream!.waitFor(1);
    const { errors, data } = stream!.items[0]!;
    expect(errors).toBeUndefined();
    const message = data!.streamMessages;
    expect(message).toEqual({
      id: expect.stringMatching(UUID_V4),
      domain,
      channel: 'room-1',
      type: 'said',
      body: { text: 'hi', n: [1, { x: null }] },
      claims: {},
      time: expect.stringMatching(/^\d{19}$/),
    });
    const time = BigInt(message.time);
    expect(time >= before - 1_000_000_000n && time <= BigInt(Date.now() + 1000) * 1_000_000n).toBe(true);
  });

  it('with a body written as a GraphQL literal', async () => {
    const domain = uid('chat');
    const [stream] = await subscribe([{ domain }]);
    const res = await gql(
      server.httpUrl,
      `mutation { broadcastMessage(input: { domain: "${domain}", channel: "c", type: "t", body: { text: "literal", ok: true } }) }`,
    );
    expect(ok(res)).toEqual({ broadcastMessage: true });
    await stream!.waitFor(1);
    expect(bodies(stream!)).toEqual([{ text: 'literal', ok: true }]);
  });

  it('in the order they were sent', async () => {
    const domain = uid('chat');
    const [stream] = await subscribe([{ domain }]);
    for (let i = 0; i < 10; i++) ok(await a.broadcast({ domain, channel: 'c', type: 't', body: { i } }));
    await stream!.waitFor(10);
    expect(bodies(stream!)).toEqual(Array.from({ length: 10 }, (_, i) => ({ i })));
  });

  it('answers true with nobody listening', async () => {
    expect(ok(await a.broadcast({ domain: uid(), channel: 'c', type: 't', body: {} }))).toEqual({
      broadcastMessage: true,
    });
  });
});

describe('glob filters', () => {
  // One message: domain <p>-shop-eu, channel orders.new, type created. Which subscribers get it?
  const cases: Array<[string, (p: string) => Record<string, unknown>, boolean]> = [
    ['exact domain', (p) => ({ domain: `${p}-shop-eu` }), true],
    ['domain *', (p) => ({ domain: `${p}-shop-*` }), true],
    ['domain * in the middle', (p) => ({ domain: `${p}-*-eu` }), true],
    ['domain ? per character', (p) => ({ domain: `${p}-shop-??` }), true],
    ['domain ? too few', (p) => ({ domain: `${p}-shop-?` }), false],
    ['domain another', (p) => ({ domain: `${p}-shop-us` }), false],
    ['domain is case-sensitive', (p) => ({ domain: `${p}-SHOP-*` }), false],
    ['domain prefix only (no implicit *)', (p) => ({ domain: `${p}-shop` }), false],
    ['channel *', (p) => ({ domain: `${p}-*`, channel: 'orders.*' }), true],
    ['channel suffix', (p) => ({ domain: `${p}-*`, channel: '*.new' }), true],
    ['channel ? for the dot', (p) => ({ domain: `${p}-*`, channel: 'orders?new' }), true],
    ['channel another', (p) => ({ domain: `${p}-*`, channel: 'orders.old' }), false],
    ['type ?', (p) => ({ domain: `${p}-*`, type: 'creat?d' }), true],
    ['type another', (p) => ({ domain: `${p}-*`, type: 'deleted' }), false],
    ['all three', (p) => ({ domain: `${p}-shop-eu`, channel: 'orders.new', type: 'created' }), true],
    ['all three, one off', (p) => ({ domain: `${p}-shop-eu`, channel: 'orders.new', type: 'create' }), false],
    ['every part *', (p) => ({ domain: `${p}*`, channel: '*', type: '*' }), true],
    ['empty channel and type = everything', (p) => ({ domain: `${p}-shop-eu`, channel: '', type: '' }), true],
  ];

  it('deliver to matching subscribers only', async () => {
    const p = uid('glob');
    const c = client();
    const opened = await subscribe(
      cases.map(([, filter]) => filter(p)),
      c,
    );
    ok(await a.broadcast({ domain: `${p}-shop-eu`, channel: 'orders.new', type: 'created', body: { hello: 1 } }));
    const expected = cases.map(([, , match]) => (match ? 1 : 0));
    await until(
      () => opened.every((s, i) => s.items.length >= expected[i]!),
      'every matching subscriber to get the message',
    );
    // Deliveries to all subscribers happen in one pass; give stragglers a moment before checking the rest.
    await sleep(150);
    const got = Object.fromEntries(cases.map(([name], i) => [name, opened[i]!.items.length]));
    expect(got).toEqual(Object.fromEntries(cases.map(([name, , match]) => [name, match ? 1 : 0])));
  });

  it('a subscription with no filter at all gets messages of any domain', async () => {
    const [all] = await subscribe([{}]);
    const domain = uid('any');
    ok(await a.broadcast({ domain, channel: 'c', type: 't', body: { n: 1 } }));
    await until(() => all!.items.some((i) => i.data?.streamMessages.domain === domain), 'the message');
  });
});

describe('consumer groups', () => {
  it('deliver each message to exactly one member; solo subscribers get all of them', async () => {
    const domain = uid('group');
    const [solo, m1, m2] = await subscribe([
      { domain },
      { domain, consumer_group: 'workers' },
      { domain, consumer_group: 'workers' },
    ]);
    for (let i = 0; i < 20; i++) ok(await a.broadcast({ domain, channel: 'jobs', type: 'job', body: { i } }));
    await solo!.waitFor(20);
    await until(() => m1!.items.length + m2!.items.length >= 20, 'the group to get 20 messages');
    await sleep(150);
    expect(bodies(solo!)).toEqual(Array.from({ length: 20 }, (_, i) => ({ i })));
    const grouped = [...bodies(m1!), ...bodies(m2!)].map((b) => (b as { i: number }).i);
    expect(grouped).toHaveLength(20);
    expect(new Set(grouped).size).toBe(20);
    expect([...grouped].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // The group shares the work: both members got some.
    expect(m1!.items.length).toBeGreaterThan(0);
    expect(m2!.items.length).toBeGreaterThan(0);
  });

  it('two groups each get every message once', async () => {
    const domain = uid('groups');
    const [a1, a2, b1] = await subscribe([
      { domain, consumer_group: 'a' },
      { domain, consumer_group: 'a' },
      { domain, consumer_group: 'b' },
    ]);
    for (let i = 0; i < 10; i++) ok(await a.broadcast({ domain, channel: 'c', type: 't', body: { i } }));
    await b1!.waitFor(10);
    await until(() => a1!.items.length + a2!.items.length >= 10, 'group a to get 10 messages');
    await sleep(150);
    expect(a1!.items.length + a2!.items.length).toBe(10);
    expect(b1!.items).toHaveLength(10);
  });

  it('members of one group on different connections still share', async () => {
    const domain = uid('group-conn');
    const [m1, m2] = await subscribe([
      { domain, consumer_group: 'g' },
      { domain, consumer_group: 'g' },
    ]);
    for (let i = 0; i < 6; i++) ok(await a.broadcast({ domain, channel: 'c', type: 't', body: { i } }));
    await until(() => m1!.items.length + m2!.items.length >= 6, 'the group to get 6 messages');
    await sleep(150);
    expect(m1!.items.length + m2!.items.length).toBe(6);
  });
});

describe('messages are not persisted', () => {
  it('a subscriber that joins later gets only what is sent after it joined', async () => {
    const domain = uid('late');
    const [early] = await subscribe([{ domain }]);
    for (let i = 0; i < 3; i++) ok(await a.broadcast({ domain, channel: 'c', type: 't', body: { old: i } }));
    await early!.waitFor(3);
    const [late] = await subscribe([{ domain }]);
    await sleep(100);
    expect(late!.items).toEqual([]);
    ok(await a.broadcast({ domain, channel: 'c', type: 't', body: { fresh: true } }));
    await late!.waitFor(1);
    await sleep(100);
    expect(bodies(late!)).toEqual([{ fresh: true }]);
    expect(bodies(early!)).toHaveLength(4);
  });

  it('a subscriber that left gets nothing more, and others still do', async () => {
    const domain = uid('left');
    const [leaving, staying] = await subscribe([{ domain }, { domain }]);
    ok(await a.broadcast({ domain, channel: 'c', type: 't', body: { n: 1 } }));
    await leaving!.waitFor(1);
    leaving!.stop();
    await subscribers(server, 'message', 1);
    ok(await a.broadcast({ domain, channel: 'c', type: 't', body: { n: 2 } }));
    await staying!.waitFor(2);
    expect(leaving!.items).toHaveLength(1);
  });
});

describe('bad input', () => {
  const deep: Record<string, unknown> = {};
  let cursor = deep;
  for (let i = 0; i < 40; i++) {
    cursor.d = {};
    cursor = cursor.d as Record<string, unknown>;
  }

  it.each([
    ['an empty domain', { domain: '' }],
    ['a whitespace domain', { domain: ' ' }],
    ['an empty channel', { channel: '' }],
    ['a channel with whitespace', { channel: 'a b' }],
    ['an empty type', { type: '' }],
    ['a whitespace type', { type: '\n' }],
    ['a body that is an array', { body: [1] }],
    ['a body that is a string', { body: 'text' }],
    ['a body that is a number', { body: 1 }],
    ['a body that is a boolean', { body: false }],
    ['a body nested too deeply', { body: deep }],
  ])('broadcastMessage with %s is INVALID_ARGUMENT and reaches nobody', async (_name, input) => {
    const domain = uid('bad');
    const [stream] = await subscribe([{}]);
    expectError(await a.broadcast({ domain, channel: 'c', type: 't', body: { ok: 1 }, ...input }), 'INVALID_ARGUMENT');
    // A valid message afterwards is the first and only thing the subscriber sees of this domain.
    ok(await a.broadcast({ domain, channel: 'c', type: 't', body: { after: true } }));
    await until(() => stream!.items.some((i) => i.data?.streamMessages.domain === domain), 'the valid message');
    // Tests run one at a time and this subscriber matches everything: all it saw is the valid message.
    await sleep(50);
    expect(bodies(stream!)).toEqual([{ after: true }]);
  });

  it.each([
    ['a glob longer than the limit', { domain: 'x'.repeat(257) }],
    ['a consumer group with whitespace', { consumer_group: 'a b' }],
  ])('streamMessages with %s is INVALID_ARGUMENT', async (_name, input) => {
    const s = collect<{ streamMessages: PeerMessage }>(client(), Q.streamMessages, { input });
    streams.push(s);
    await s.waitFor(1);
    expect(s.items[0]!.errors?.map((e) => e.extensions?.code)).toEqual(['INVALID_ARGUMENT']);
    await s.done;
    expect(messageSubscribers(server)).toBe(0);
  });
});
