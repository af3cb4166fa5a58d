import type { Client } from 'graphql-ws';
import { collect, wsClient } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  type Api,
  api,
  ENTITY_FIELDS,
  EVENT_FIELDS,
  type EventOut,
  eventSubscribers,
  eventsOf,
  ok,
  Q,
  sleep,
  subscribers,
  uid,
  until,
} from './helpers.js';

/** streamEvents over graphql-ws: live events, glob filters, consumer groups, resuming with `after`. */

type Stream = ReturnType<typeof collect<{ streamEvents: EventOut }>>;

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
  await subscribers(server, 'event', 0);
});

afterAll(async () => {
  await server?.close();
});

function client(): Client {
  const c = wsClient(server.wsUrl);
  clients.push(c);
  return c;
}

/** Opens one subscription per filter and waits until the server has registered all of them. */
async function subscribe(filters: Array<Record<string, unknown>>, query: string = Q.streamEvents): Promise<Stream[]> {
  const base = eventSubscribers(server);
  const c = client();
  const opened = filters.map((input) => {
    const s = collect<{ streamEvents: EventOut }>(c, query, { input });
    streams.push(s);
    return s;
  });
  await subscribers(server, 'event', base + filters.length);
  return opened;
}

const events = (s: Stream) => s.items.map((item) => item.data!.streamEvents);
const label = (e: EventOut) => `${e.entity.key}@${e.entity.version}`;

describe('live events', () => {
  it('arrive as they are committed, equal to the stored event', async () => {
    const domain = uid('live');
    const [stream] = await subscribe([{ domain }]);
    ok(await a.set({ domain, type: 'user', key: 'ann', values: { name: 'Ann' } }));
    await stream!.waitFor(1);
    expect(stream!.items[0]!.errors).toBeUndefined();
    const [stored] = await eventsOf(a, domain, 'user', 'ann');
    expect(events(stream!)).toEqual([stored]);
    expect(stored).toMatchObject({
      method: '/stategate.EntityService/Set',
      claims: {},
      entity: { domain, type: 'user', key: 'ann', values: { name: 'Ann' }, version: '1' },
    });
  });

  it('of every mutation, in order, with consecutive versions and rising positions', async () => {
    const domain = uid('live');
    const [stream] = await subscribe([{ domain }]);
    ok(await a.set({ domain, type: 't', key: 'k', values: { n: 1 } }));
    ok(await a.edit({ domain, type: 't', key: 'k', values: { m: 2 } }));
    const first = (await eventsOf(a, domain, 't', 'k'))[0]!;
    ok(await a.revert({ domain, type: 't', key: 'k', id: first.id }));
    ok(await a.del({ domain, type: 't', key: 'k' }));
    ok(await a.set({ domain, type: 't', key: 'k', values: { n: 5 } }));
    await stream!.waitFor(5);
    const got = events(stream!);
    expect(got.map((e) => [e.method.split('/').at(-1), e.entity.version, e.entity.values])).toEqual([
      ['Set', '1', { n: 1 }],
      ['Edit', '2', { n: 1, m: 2 }],
      ['Revert', '3', { n: 1 }],
      ['Del', '4', { n: 1 }],
      ['Set', '5', { n: 5 }],
    ]);
    const positions = got.map((e) => Number(e.position));
    for (let i = 1; i < positions.length; i++) expect(positions[i]!).toBeGreaterThan(positions[i - 1]!);
  });

  it('resolve Event.current afresh for each event', async () => {
    const domain = uid('current');
    const query = `subscription ($input: StreamEventOpts!) { streamEvents(input: $input) { ${EVENT_FIELDS} current { ${ENTITY_FIELDS} } } }`;
    const [stream] = await subscribe([{ domain }], query);
    ok(await a.set({ domain, type: 't', key: 'k', values: { n: 1 } }));
    await stream!.waitFor(1);
    ok(await a.set({ domain, type: 't', key: 'k', values: { n: 2 } }));
    await stream!.waitFor(2);
    ok(await a.del({ domain, type: 't', key: 'k' }));
    await stream!.waitFor(3);
    const currents = events(stream!).map((e) => e.current);
    // Each event's current state is read when it is delivered: at least as new as the event itself.
    expect(currents[0]).toMatchObject({ key: 'k' });
    expect(Number(currents[0]!.version)).toBeGreaterThanOrEqual(1);
    expect(currents[2]).toBeNull();
  });

  it('are not seen by a subscriber that has left', async () => {
    const domain = uid('left');
    const [leaving, staying] = await subscribe([{ domain }, { domain }]);
    ok(await a.set({ domain, type: 't', key: 'k1', values: {} }));
    await leaving!.waitFor(1);
    leaving!.stop();
    await subscribers(server, 'event', 1);
    ok(await a.set({ domain, type: 't', key: 'k2', values: {} }));
    await staying!.waitFor(2);
    expect(leaving!.items).toHaveLength(1);
  });
});

describe('glob filters on domain, type and key', () => {
  // One event: domain <p>-app-eu, type user.admin, key alice-01. Which subscribers get it?
  const cases: Array<[string, (p: string) => Record<string, unknown>, boolean]> = [
    ['exact domain', (p) => ({ domain: `${p}-app-eu` }), true],
    ['domain *', (p) => ({ domain: `${p}-*` }), true],
    ['domain ?', (p) => ({ domain: `${p}-app-e?` }), true],
    ['domain ? too many', (p) => ({ domain: `${p}-app-e??` }), false],
    ['domain another', (p) => ({ domain: `${p}-app-us` }), false],
    ['domain is case-sensitive', (p) => ({ domain: `${p}-APP-EU` }), false],
    ['type exact', (p) => ({ domain: `${p}-*`, type: 'user.admin' }), true],
    ['type *', (p) => ({ domain: `${p}-*`, type: 'user.*' }), true],
    ['type another', (p) => ({ domain: `${p}-*`, type: 'user' }), false],
    ['key exact', (p) => ({ domain: `${p}-*`, key: 'alice-01' }), true],
    ['key * and ?', (p) => ({ domain: `${p}-*`, key: 'a*-0?' }), true],
    ['key *middle*', (p) => ({ domain: `${p}-*`, key: '*ice*' }), true],
    ['key another', (p) => ({ domain: `${p}-*`, key: 'bob-*' }), false],
    ['all three', (p) => ({ domain: `${p}-app-eu`, type: 'user.admin', key: 'alice-01' }), true],
    ['all three, key off', (p) => ({ domain: `${p}-app-eu`, type: 'user.admin', key: 'alice-02' }), false],
    ['empty type and key = everything', (p) => ({ domain: `${p}-app-eu`, type: '', key: '' }), true],
  ];

  it('deliver to matching subscribers only', async () => {
    const p = uid('glob');
    const opened = await subscribe(cases.map(([, filter]) => filter(p)));
    ok(await a.set({ domain: `${p}-app-eu`, type: 'user.admin', key: 'alice-01', values: { x: 1 } }));
    await until(
      () => opened.every((s, i) => s.items.length >= (cases[i]![2] ? 1 : 0)),
      'every matching subscriber to get the event',
    );
    await sleep(150);
    const got = Object.fromEntries(cases.map(([name], i) => [name, opened[i]!.items.length]));
    expect(got).toEqual(Object.fromEntries(cases.map(([name, , match]) => [name, match ? 1 : 0])));
  });
});

describe('consumer groups', () => {
  it('deliver each event to exactly one member; a solo subscriber gets all', async () => {
    const domain = uid('group');
    const [solo, m1, m2] = await subscribe([
      { domain },
      { domain, consumer_group: 'projector' },
      { domain, consumer_group: 'projector' },
    ]);
    for (let i = 0; i < 20; i++) ok(await a.set({ domain, type: 't', key: `k${i}`, values: { i } }));
    await solo!.waitFor(20);
    await until(() => m1!.items.length + m2!.items.length >= 20, 'the group to get 20 events');
    await sleep(150);
    const ids = [...events(m1!), ...events(m2!)].map((e) => e.id);
    expect(ids).toHaveLength(20);
    expect(new Set(ids)).toEqual(new Set(events(solo!).map((e) => e.id)));
    expect(m1!.items.length).toBeGreaterThan(0);
    expect(m2!.items.length).toBeGreaterThan(0);
    // Each member sees its share in log order.
    for (const member of [m1!, m2!]) {
      const positions = events(member).map((e) => Number(e.position));
      expect([...positions].sort((x, y) => x - y)).toEqual(positions);
    }
  });

  it('two groups each get every event once', async () => {
    const domain = uid('groups');
    const [a1, a2, b1] = await subscribe([
      { domain, consumer_group: 'a' },
      { domain, consumer_group: 'a' },
      { domain, consumer_group: 'b' },
    ]);
    for (let i = 0; i < 10; i++) ok(await a.set({ domain, type: 't', key: `k${i}`, values: { i } }));
    await b1!.waitFor(10);
    await until(() => a1!.items.length + a2!.items.length >= 10, 'group a to get 10 events');
    await sleep(150);
    expect(a1!.items.length + a2!.items.length).toBe(10);
    expect(b1!.items).toHaveLength(10);
  });
});

describe('resuming with after', () => {
  it('replays stored events after the position, then continues live, without gap or duplicate', async () => {
    const domain = uid('resume');
    for (let i = 1; i <= 4; i++) ok(await a.set({ domain, type: 't', key: `k${i}`, values: { i } }));
    const stored = ok(await a.searchEvents({ domain, type: 't', limit: 10 })).searchEvents.events;
    expect(stored.map(label)).toEqual(['k1@1', 'k2@1', 'k3@1', 'k4@1']);

    const [resumed] = await subscribe([{ domain, after: stored[1]!.position }]);
    await resumed!.waitFor(2);
    expect(events(resumed!)).toEqual(stored.slice(2));

    ok(await a.set({ domain, type: 't', key: 'k5', values: { i: 5 } }));
    await resumed!.waitFor(3);
    await sleep(100);
    expect(events(resumed!).map(label)).toEqual(['k3@1', 'k4@1', 'k5@1']);
  });

  it('after 0 replays the whole log (filtered), after the last position only live events', async () => {
    const domain = uid('resume0');
    ok(await a.set({ domain, type: 't', key: 'a', values: {} }));
    ok(await a.set({ domain, type: 't', key: 'b', values: {} }));
    const stored = ok(await a.searchEvents({ domain, type: 't', limit: 10 })).searchEvents.events;
    const [all, fromEnd] = await subscribe([
      { domain, after: 0 },
      { domain, after: stored.at(-1)!.position },
    ]);
    await all!.waitFor(2);
    ok(await a.set({ domain, type: 't', key: 'c', values: {} }));
    await all!.waitFor(3);
    await fromEnd!.waitFor(1);
    await sleep(100);
    expect(events(all!).map(label)).toEqual(['a@1', 'b@1', 'c@1']);
    expect(events(fromEnd!).map(label)).toEqual(['c@1']);
  });

  it('accepts after as a decimal string or an Int', async () => {
    const domain = uid('resume-int');
    ok(await a.set({ domain, type: 't', key: 'a', values: {} }));
    ok(await a.set({ domain, type: 't', key: 'b', values: {} }));
    const stored = ok(await a.searchEvents({ domain, type: 't', limit: 10 })).searchEvents.events;
    const [asString, asInt] = await subscribe([
      { domain, after: stored[0]!.position },
      { domain, after: Number(stored[0]!.position) },
    ]);
    await asString!.waitFor(1);
    await asInt!.waitFor(1);
    expect(events(asString!).map(label)).toEqual(['b@1']);
    expect(events(asInt!).map(label)).toEqual(['b@1']);
  });
});

describe('bad stream options are INVALID_ARGUMENT', () => {
  it.each([
    ['a domain glob longer than the limit', { domain: '*'.repeat(257) }],
    ['a key glob longer than the limit', { key: 'k'.repeat(300) }],
    ['a consumer group with whitespace', { consumer_group: 'a b' }],
    ['after negative', { after: -1 }],
  ])('%s', async (_name, input) => {
    const s = collect<{ streamEvents: EventOut }>(client(), Q.streamEvents, { input });
    streams.push(s);
    await s.waitFor(1);
    expect(s.items[0]!.errors?.map((e) => e.extensions?.code)).toEqual(['INVALID_ARGUMENT']);
    expect(s.items[0]!.data ?? null).toBeNull();
    await s.done.catch(() => {});
    expect(eventSubscribers(server)).toBe(0);
  });

  it('after not a number, written as a literal (refused at validation: a graphql-ws error message)', async () => {
    const s = collect<{ streamEvents: EventOut }>(
      client(),
      'subscription { streamEvents(input: { after: "latest" }) { id } }',
      {},
    );
    streams.push(s);
    const errors = (await s.done.then(
      () => [],
      (err: unknown) => err,
    )) as Array<{ extensions?: { code?: string } }>;
    expect(errors.map((e) => e.extensions?.code)).toEqual(['INVALID_ARGUMENT']);
    expect(s.items).toEqual([]);
  });

  // A variable the Int64 scalar refuses is INVALID_ARGUMENT for subscriptions too, although
  // @graphql-tools/executor's subscribe() stamps variable errors BAD_USER_INPUT (useInputErrorCodes undoes it).
  it.each([
    ['after not a number (variable)', { after: 'latest' }],
    ['after fractional (variable)', { after: 1.5 }],
  ])('%s', async (_name, input) => {
    const s = collect<{ streamEvents: EventOut }>(client(), Q.streamEvents, { input });
    streams.push(s);
    await s.waitFor(1);
    expect(s.items[0]!.errors?.map((e) => e.extensions?.code)).toEqual(['INVALID_ARGUMENT']);
  });
});
