import { randomUUID } from 'node:crypto';
import { gql } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  type Api,
  api,
  ENTITY_FIELDS,
  EVENT_FIELDS,
  type EventOut,
  eventsOf,
  expectError,
  nowNs,
  ok,
  UUID_V4,
  uid,
} from './helpers.js';

/** The event log over GraphQL: what every mutation records, getEvent, and Event.current. */

let server: TestServer;
let a: Api;
const D = 'e2e-events';
const T = 'order';

beforeAll(async () => {
  server = await startTestServer();
  a = api(server.httpUrl);
});

afterAll(async () => {
  await server?.close();
});

describe('every mutation records an event', () => {
  let key: string;
  let events: EventOut[];
  let startNs: bigint;
  let endNs: bigint;

  beforeAll(async () => {
    key = uid();
    startNs = nowNs();
    ok(await a.set({ domain: D, type: T, key, values: { n: 1 } }));
    ok(await a.edit({ domain: D, type: T, key, values: { m: 2 } }));
    const first = (await eventsOf(a, D, T, key))[0]!;
    ok(await a.revert({ domain: D, type: T, key, id: first.id }));
    ok(await a.del({ domain: D, type: T, key }));
    endNs = nowNs() + 1_000_000n;
    events = await eventsOf(a, D, T, key);
  });

  it('with the method that made the change and the full state after it (before it, for Del)', () => {
    expect(events.map((e) => ({ method: e.method, entity: e.entity }))).toEqual([
      { method: '/stategate.EntityService/Set', entity: { domain: D, type: T, key, values: { n: 1 }, version: '1' } },
      {
        method: '/stategate.EntityService/Edit',
        entity: { domain: D, type: T, key, values: { n: 1, m: 2 }, version: '2' },
      },
      {
        method: '/stategate.EntityService/Revert',
        entity: { domain: D, type: T, key, values: { n: 1 }, version: '3' },
      },
      { method: '/stategate.EntityService/Del', entity: { domain: D, type: T, key, values: { n: 1 }, version: '4' } },
    ]);
  });

  it('with empty claims when authentication is off', () => {
    for (const event of events) expect(event.claims).toEqual({});
  });

  it('with a distinct uuid v4 id', () => {
    for (const event of events) expect(event.id).toMatch(UUID_V4);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('with the time in nanoseconds since the epoch, as an exact decimal string, increasing', () => {
    for (const event of events) {
      expect(event.time).toMatch(/^\d{19}$/);
      const time = BigInt(event.time);
      expect(time >= startNs - 1_000_000_000n).toBe(true);
      expect(time <= endNs).toBe(true);
    }
    const times = events.map((e) => BigInt(e.time));
    for (let i = 1; i < times.length; i++) expect(times[i]! > times[i - 1]!).toBe(true);
  });

  it('with a log position that rises with every event', () => {
    const positions = events.map((e) => Number(e.position));
    for (const p of positions) expect(p).toBeGreaterThan(0);
    for (let i = 1; i < positions.length; i++) expect(positions[i]!).toBeGreaterThan(positions[i - 1]!);
    expect(events.every((e) => /^\d+$/.test(e.position))).toBe(true);
  });

  it('and positions grow across entities in commit order', async () => {
    const other = uid();
    ok(await a.set({ domain: D, type: T, key: other, values: {} }));
    const [event] = await eventsOf(a, D, T, other);
    expect(Number(event!.position)).toBeGreaterThan(Number(events.at(-1)!.position));
  });
});

describe('getEvent', () => {
  it('returns one event of one entity, equal to what search lists', async () => {
    const key = uid();
    ok(await a.set({ domain: D, type: T, key, values: { n: 1 } }));
    ok(await a.set({ domain: D, type: T, key, values: { n: 2 } }));
    const listed = await eventsOf(a, D, T, key);
    for (const event of listed) {
      const got = ok(await a.getEvent({ domain: D, type: T, key, id: event.id })).getEvent;
      const { current, ...rest } = got;
      expect(rest).toEqual(event);
      expect(current).toEqual({ domain: D, type: T, key, values: { n: 2 }, version: '2' });
    }
  });

  it('resolves Event.current to the entity now, and to null once it is deleted', async () => {
    const key = uid();
    ok(await a.set({ domain: D, type: T, key, values: { n: 1 } }));
    const [first] = await eventsOf(a, D, T, key);
    ok(await a.edit({ domain: D, type: T, key, values: { n: 7 } }));
    const ref = { domain: D, type: T, key, id: first!.id };
    expect(ok(await a.getEvent(ref)).getEvent).toMatchObject({
      entity: { values: { n: 1 }, version: '1' },
      current: { values: { n: 7 }, version: '2' },
    });
    ok(await a.del({ domain: D, type: T, key }));
    expect(ok(await a.getEvent(ref)).getEvent).toMatchObject({ entity: { version: '1' }, current: null });
  });

  it('resolves Event.current for every listed event of a search', async () => {
    const keys = [uid(), uid(), uid()];
    for (const [i, key] of keys.entries()) ok(await a.set({ domain: D, type: `${T}-cur`, key, values: { i } }));
    ok(await a.edit({ domain: D, type: `${T}-cur`, key: keys[0]!, values: { edited: true } }));
    ok(await a.del({ domain: D, type: `${T}-cur`, key: keys[2]! }));
    const res = await gql<{ searchEvents: { events: Array<{ entity: { key: string }; current: unknown }> } }>(
      server.httpUrl,
      `query ($input: SearchEventOpts!) { searchEvents(input: $input) { events { entity { key } current { ${ENTITY_FIELDS} } } } }`,
      { input: { domain: D, type: `${T}-cur`, limit: 100 } },
    );
    const events = ok(res).searchEvents.events;
    expect(events).toHaveLength(5);
    const currentOf = (key: string) => events.filter((e) => e.entity.key === key).map((e) => e.current);
    const first = { domain: D, type: `${T}-cur`, key: keys[0], values: { i: 0, edited: true }, version: '2' };
    expect(currentOf(keys[0]!)).toEqual([first, first]);
    expect(currentOf(keys[1]!)).toEqual([
      { domain: D, type: `${T}-cur`, key: keys[1], values: { i: 1 }, version: '1' },
    ]);
    expect(currentOf(keys[2]!)).toEqual([null, null]);
  });

  it('of an unknown id is NOT_FOUND', async () => {
    const key = uid();
    ok(await a.set({ domain: D, type: T, key, values: {} }));
    expectError(await a.getEvent({ domain: D, type: T, key, id: randomUUID() }), 'NOT_FOUND');
  });

  it('with the right id but another entity’s key, type or domain is NOT_FOUND', async () => {
    const key = uid();
    ok(await a.set({ domain: D, type: T, key, values: {} }));
    const [event] = await eventsOf(a, D, T, key);
    const id = event!.id;
    expect(ok(await a.getEvent({ domain: D, type: T, key, id })).getEvent.id).toBe(id);
    expectError(await a.getEvent({ domain: D, type: T, key: uid(), id }), 'NOT_FOUND');
    expectError(await a.getEvent({ domain: D, type: 'other', key, id }), 'NOT_FOUND');
    expectError(await a.getEvent({ domain: 'other', type: T, key, id }), 'NOT_FOUND');
  });

  it.each([
    ['domain', ''],
    ['type', ' '],
    ['key', 'a b'],
    ['id', 'nope'],
    ['id', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'],
  ])('with a bad %s (%j) is INVALID_ARGUMENT', async (field, value) => {
    const ref = { domain: D, type: T, key: 'k', id: randomUUID(), [field]: value };
    expectError(await a.getEvent(ref), 'INVALID_ARGUMENT');
  });
});

describe('event fields over a literal query', () => {
  it('serialise the Int64 fields as strings and claims as an object', async () => {
    const key = uid();
    ok(await a.set({ domain: D, type: T, key, values: { x: 1 } }));
    const res = await gql<{ searchEvents: { events: EventOut[] } }>(
      server.httpUrl,
      `{ searchEvents(input: { domain: "${D}", type: "${T}", limit: 1, query_string: "{\\"entity.key\\": \\"${key}\\"}" }) { events { ${EVENT_FIELDS} } } }`,
    );
    const [event] = ok(res).searchEvents.events;
    expect(typeof event!.time).toBe('string');
    expect(typeof event!.position).toBe('string');
    expect(typeof event!.entity.version).toBe('string');
    expect(event!.claims).toEqual({});
  });
});
