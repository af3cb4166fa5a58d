import { randomUUID } from 'node:crypto';
import { type GraphqlResponse, gql } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type Api, api, eventsOf, expectError, nowNs, ok, openStore, uid } from './helpers.js';

/** Entities over GraphQL against a real server: set, edit, revert, get (now, by version, at a time), del. */

let server: TestServer;
let a: Api;
let store: ReturnType<typeof openStore>;
const D = 'e2e-entities';
const T = 'user';

beforeAll(async () => {
  server = await startTestServer();
  a = api(server.httpUrl);
  store = openStore(server);
});

afterAll(async () => {
  store?.close();
  await server?.close();
});

async function current(key: string, type = T, domain = D) {
  return ok(await a.get({ domain, type, key })).getEntity;
}

describe('the seed sample mutation', () => {
  it('runs exactly as the README writes it (no selection set, values as a GraphQL literal)', async () => {
    const res = await gql(
      server.httpUrl,
      `mutation {
  setEntity(input: {
    domain: "accounting",
    type: "user"
    key: "coleman.word@example.com",
    values: {
      first_name: "Coleman"
      last_name: "Word"
    }
  })
}`,
    );
    expect(res).toEqual({ status: 200, data: { setEntity: true } });
    const entity = await current('coleman.word@example.com', 'user', 'accounting');
    expect(entity).toEqual({
      domain: 'accounting',
      type: 'user',
      key: 'coleman.word@example.com',
      values: { first_name: 'Coleman', last_name: 'Word' },
      version: '1',
    });
  });
});

describe('setEntity / getEntity', () => {
  it('replaces the values and counts versions from 1', async () => {
    const key = uid();
    expect(ok(await a.set({ domain: D, type: T, key, values: { a: 1, b: { c: 2 } } }))).toEqual({ setEntity: true });
    expect(await current(key)).toEqual({ domain: D, type: T, key, values: { a: 1, b: { c: 2 } }, version: '1' });
    ok(await a.set({ domain: D, type: T, key, values: { z: [1, 'two', null, true] } }));
    expect(await current(key)).toMatchObject({ values: { z: [1, 'two', null, true] }, version: '2' });
  });

  it('keeps entities of different domains, types and keys apart', async () => {
    const key = uid();
    ok(await a.set({ domain: D, type: T, key, values: { n: 1 } }));
    ok(await a.set({ domain: D, type: 'other', key, values: { n: 2 } }));
    ok(await a.set({ domain: `${D}-2`, type: T, key, values: { n: 3 } }));
    expect((await current(key)).values).toEqual({ n: 1 });
    expect((await current(key, 'other')).values).toEqual({ n: 2 });
    expect((await current(key, T, `${D}-2`)).values).toEqual({ n: 3 });
    expectError(await a.get({ domain: D, type: T, key: `${key}-missing` }), 'NOT_FOUND');
  });

  it('accepts version as an Int or a decimal string and answers it as a string', async () => {
    const key = uid();
    ok(await a.set({ domain: D, type: T, key, values: { n: 1 }, version: -1 }));
    ok(await a.set({ domain: D, type: T, key, values: { n: 2 }, version: '1' }));
    const res = await gql<{ getEntity: { version: string } }>(
      server.httpUrl,
      `{ getEntity(input: {domain: "${D}", type: "${T}", key: "${key}", version: "1"}) { version } }`,
    );
    expect(ok(res).getEntity.version).toBe('1');
    expect(typeof (await current(key)).version).toBe('string');
  });
});

describe('version preconditions', () => {
  // Each scenario: the entity's version before (0 = absent), the operation, and what happens.
  const scenarios: Array<{
    name: string;
    before: number;
    op: 'set' | 'edit' | 'del';
    version: number | string;
    code?: 'ABORTED';
  }> = [
    { name: 'set -1 on a missing entity creates it', before: 0, op: 'set', version: -1 },
    { name: 'set -1 on an existing entity', before: 1, op: 'set', version: -1, code: 'ABORTED' },
    { name: 'set N = current', before: 2, op: 'set', version: 2 },
    { name: 'set N = current as a string', before: 2, op: 'set', version: '2' },
    { name: 'set N < current', before: 2, op: 'set', version: 1, code: 'ABORTED' },
    { name: 'set N > current', before: 2, op: 'set', version: 3, code: 'ABORTED' },
    { name: 'set N on a missing entity', before: 0, op: 'set', version: 1, code: 'ABORTED' },
    { name: 'set 0 = no precondition', before: 3, op: 'set', version: 0 },
    { name: 'edit N = current', before: 2, op: 'edit', version: 2 },
    { name: 'edit N != current', before: 2, op: 'edit', version: 1, code: 'ABORTED' },
    { name: 'edit -1 on an existing entity', before: 1, op: 'edit', version: -1, code: 'ABORTED' },
    { name: 'del N = current', before: 2, op: 'del', version: 2 },
    { name: 'del N != current', before: 2, op: 'del', version: 3, code: 'ABORTED' },
    { name: 'del -1 on an existing entity', before: 1, op: 'del', version: -1, code: 'ABORTED' },
  ];

  it.each(scenarios)('$name', async ({ before, op, version, code }) => {
    const key = uid();
    for (let v = 1; v <= before; v++) ok(await a.set({ domain: D, type: T, key, values: { v } }));
    const state = store.state();
    const res: GraphqlResponse<unknown> =
      op === 'del'
        ? await a.del({ domain: D, type: T, key, version })
        : await a[op]({ domain: D, type: T, key, values: { written: true }, version });
    if (code) {
      expectError(res, code);
      expect(store.state()).toEqual(state);
      if (before > 0) expect(await current(key)).toMatchObject({ values: { v: before }, version: String(before) });
      else expectError(await a.get({ domain: D, type: T, key }), 'NOT_FOUND');
    } else {
      ok(res);
      if (op === 'del') expectError(await a.get({ domain: D, type: T, key }), 'NOT_FOUND');
      else expect(await current(key)).toMatchObject({ version: String(before + 1) });
      const events = await eventsOf(a, D, T, key);
      expect(events.map((e) => e.entity.version)).toEqual(Array.from({ length: before + 1 }, (_, i) => String(i + 1)));
    }
  });
});

describe('editEntity', () => {
  it('merges per RFC 7386: nested objects merge, null removes, arrays and scalars replace', async () => {
    const key = uid();
    ok(
      await a.set({
        domain: D,
        type: T,
        key,
        values: {
          name: 'Ann',
          title: 'CEO',
          address: { city: 'Oslo', zip: '0150', geo: { lat: 1, lon: 2 } },
          tags: [1, 2],
        },
      }),
    );
    const edited = ok(
      await a.edit({
        domain: D,
        type: T,
        key,
        values: { title: null, age: 41, address: { zip: null, street: 'Main', geo: { lat: 9 } }, tags: [3] },
      }),
    ).editEntity;
    const expected = {
      name: 'Ann',
      age: 41,
      address: { city: 'Oslo', street: 'Main', geo: { lat: 9, lon: 2 } },
      tags: [3],
    };
    expect(edited).toEqual({ domain: D, type: T, key, values: expected, version: '2' });
    expect(await current(key)).toEqual(edited);
  });

  it('with a literal patch (null written in GraphQL syntax) removes the key', async () => {
    const key = uid();
    ok(await a.set({ domain: D, type: T, key, values: { first: 'C', last: 'W' } }));
    const res = await gql<{ editEntity: { version: string; values: unknown } }>(
      server.httpUrl,
      `mutation { editEntity(input: { domain: "${D}", type: "${T}", key: "${key}", values: { last: null, title: "CFO" } }) { version values } }`,
    );
    expect(ok(res).editEntity).toEqual({ version: '2', values: { first: 'C', title: 'CFO' } });
  });

  it('replaces a scalar with an object and an object with a scalar', async () => {
    const key = uid();
    ok(await a.set({ domain: D, type: T, key, values: { a: 1, b: { c: 1 } } }));
    const edited = ok(await a.edit({ domain: D, type: T, key, values: { a: { x: 1 }, b: 'flat' } })).editEntity;
    expect(edited.values).toEqual({ a: { x: 1 }, b: 'flat' });
  });

  it('of a missing entity is NOT_FOUND and creates nothing', async () => {
    const key = uid();
    const before = store.state();
    expectError(await a.edit({ domain: D, type: T, key, values: { a: 1 } }), 'NOT_FOUND');
    expectError(await a.get({ domain: D, type: T, key }), 'NOT_FOUND');
    expect(await eventsOf(a, D, T, key)).toEqual([]);
    expect(store.state()).toEqual(before);
  });

  it('of a deleted entity is NOT_FOUND', async () => {
    const key = uid();
    ok(await a.set({ domain: D, type: T, key, values: { a: 1 } }));
    ok(await a.del({ domain: D, type: T, key }));
    expectError(await a.edit({ domain: D, type: T, key, values: { a: 2 } }), 'NOT_FOUND');
    expect((await eventsOf(a, D, T, key)).length).toBe(2);
  });
});

describe('delEntity', () => {
  it('removes the state, records the state before deletion, and a later set continues the versions', async () => {
    const key = uid();
    ok(await a.set({ domain: D, type: T, key, values: { n: 1 } }));
    ok(await a.edit({ domain: D, type: T, key, values: { m: 2 } }));
    expect(ok(await a.del({ domain: D, type: T, key }))).toEqual({ delEntity: true });
    expectError(await a.get({ domain: D, type: T, key }), 'NOT_FOUND');

    ok(await a.set({ domain: D, type: T, key, values: { reborn: true } }));
    expect(await current(key)).toMatchObject({ values: { reborn: true }, version: '4' });

    const events = await eventsOf(a, D, T, key);
    expect(events.map((e) => [e.method, e.entity.version, e.entity.values])).toEqual([
      ['/stategate.EntityService/Set', '1', { n: 1 }],
      ['/stategate.EntityService/Edit', '2', { n: 1, m: 2 }],
      ['/stategate.EntityService/Del', '3', { n: 1, m: 2 }],
      ['/stategate.EntityService/Set', '4', { reborn: true }],
    ]);
  });

  it('of a missing entity is NOT_FOUND; of a deleted one too', async () => {
    const key = uid();
    expectError(await a.del({ domain: D, type: T, key }), 'NOT_FOUND');
    ok(await a.set({ domain: D, type: T, key, values: { n: 1 } }));
    ok(await a.del({ domain: D, type: T, key }));
    const before = store.state();
    expectError(await a.del({ domain: D, type: T, key }), 'NOT_FOUND');
    expect(store.state()).toEqual(before);
  });

  it('set with -1 after a delete succeeds (the entity does not exist) and continues the versions', async () => {
    const key = uid();
    ok(await a.set({ domain: D, type: T, key, values: { n: 1 } }));
    ok(await a.del({ domain: D, type: T, key }));
    ok(await a.set({ domain: D, type: T, key, values: { n: 2 }, version: -1 }));
    expect(await current(key)).toMatchObject({ values: { n: 2 }, version: '3' });
  });
});

describe('revertEntity', () => {
  async function history(key: string, type = T, domain = D) {
    ok(await a.set({ domain, type, key, values: { step: 1, keep: 'x' } }));
    ok(await a.set({ domain, type, key, values: { step: 2 } }));
    ok(await a.edit({ domain, type, key, values: { extra: true } }));
    return eventsOf(a, domain, type, key);
  }

  it('to an own event restores its values as a new version with method Revert', async () => {
    const key = uid();
    const [first] = await history(key);
    const reverted = ok(await a.revert({ domain: D, type: T, key, id: first!.id })).revertEntity;
    expect(reverted).toEqual({ domain: D, type: T, key, values: { step: 1, keep: 'x' }, version: '4' });
    expect(await current(key)).toEqual(reverted);
    const events = await eventsOf(a, D, T, key);
    expect(events.at(-1)).toMatchObject({
      method: '/stategate.EntityService/Revert',
      entity: { values: { step: 1, keep: 'x' }, version: '4' },
    });
    expect(events.at(-1)!.id).not.toBe(first!.id);
  });

  it('to the event of a deleted entity brings it back with the next version', async () => {
    const key = uid();
    const [first] = await history(key);
    ok(await a.del({ domain: D, type: T, key }));
    const reverted = ok(await a.revert({ domain: D, type: T, key, id: first!.id })).revertEntity;
    expect(reverted).toMatchObject({ values: { step: 1, keep: 'x' }, version: '5' });
  });

  it('to an event id given in upper case finds it too (uuids are case-insensitive)', async () => {
    const key = uid();
    const [first] = await history(key);
    const reverted = ok(await a.revert({ domain: D, type: T, key, id: first!.id.toUpperCase() })).revertEntity;
    expect(reverted.values).toEqual({ step: 1, keep: 'x' });
  });

  const foreign: Array<{
    name: string;
    ref: (key: string, other: string) => { domain: string; type: string; key: string };
  }> = [
    { name: 'a different key', ref: (_key, other) => ({ domain: D, type: T, key: other }) },
    { name: 'a different type', ref: (key) => ({ domain: D, type: 'other-type', key }) },
    { name: 'a different domain', ref: (key) => ({ domain: `${D}-other`, type: T, key }) },
  ];

  it.each(foreign)('with an event id of $name is NOT_FOUND and changes nothing', async ({ ref }) => {
    const key = uid();
    const other = uid();
    const [first] = await history(key);
    // The other entity exists in every place the ref could point at, so only the id mismatch refuses it.
    ok(await a.set({ domain: D, type: T, key: other, values: { mine: true } }));
    ok(await a.set({ domain: D, type: 'other-type', key, values: { mine: true } }));
    ok(await a.set({ domain: `${D}-other`, type: T, key, values: { mine: true } }));
    const target = { ...ref(key, other), id: first!.id };
    const before = store.state();
    expectError(await a.revert(target), 'NOT_FOUND');
    expectError(await a.getEvent(target), 'NOT_FOUND');
    expect(store.state()).toEqual(before);
    expect(await current(target.key, target.type, target.domain)).toMatchObject({
      values: { mine: true },
      version: '1',
    });
  });

  it('with an unknown event id is NOT_FOUND; with an id that is not a uuid v4 INVALID_ARGUMENT', async () => {
    const key = uid();
    await history(key);
    expectError(await a.revert({ domain: D, type: T, key, id: randomUUID() }), 'NOT_FOUND');
    for (const id of [
      '',
      'nope',
      '00000000-0000-0000-0000-000000000000',
      `${randomUUID()}x`,
      '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
    ]) {
      expectError(await a.revert({ domain: D, type: T, key, id }), 'INVALID_ARGUMENT');
    }
    expect((await current(key)).version).toBe('3');
  });
});

describe('getEntity with version and at (time travel)', () => {
  let key: string;
  let events: Awaited<ReturnType<typeof eventsOf>>;

  beforeAll(async () => {
    key = uid('travel');
    ok(await a.set({ domain: D, type: T, key, values: { v: 1 } }));
    ok(await a.edit({ domain: D, type: T, key, values: { w: 2 } }));
    ok(await a.set({ domain: D, type: T, key, values: { v: 3 } }));
    ok(await a.del({ domain: D, type: T, key }));
    ok(await a.set({ domain: D, type: T, key, values: { v: 5 } }));
    events = await eventsOf(a, D, T, key);
    expect(events).toHaveLength(5);
  });

  it.each([
    [1, { v: 1 }],
    [2, { v: 1, w: 2 }],
    [3, { v: 3 }],
    [5, { v: 5 }],
  ])('version %i is that version’s state', async (version, values) => {
    const res = await a.get({ domain: D, type: T, key, version });
    expect(ok(res).getEntity).toEqual({ domain: D, type: T, key, values, version: String(version) });
  });

  it('version 0 is the current state', async () => {
    expect(ok(await a.get({ domain: D, type: T, key, version: 0 })).getEntity.version).toBe('5');
  });

  it('at 0 is the current state (as the proto reads EntityRef.at)', async () => {
    expect(ok(await a.get({ domain: D, type: T, key, at: 0 })).getEntity.version).toBe('5');
    expect(ok(await a.get({ domain: D, type: T, key, at: '0', version: 1 })).getEntity.version).toBe('1');
  });

  it.each([
    ['the deletion’s version', 4],
    ['a version beyond the current one', 6],
    ['a version far beyond', '9007199254740991'],
  ])('%s is NOT_FOUND', async (_name, version) => {
    expectError(await a.get({ domain: D, type: T, key, version }), 'NOT_FOUND');
  });

  it('a version of a missing entity is NOT_FOUND', async () => {
    expectError(await a.get({ domain: D, type: T, key: uid(), version: 1 }), 'NOT_FOUND');
  });

  it('at an event’s time is the state that event recorded; just before it the previous state', async () => {
    const times = events.map((e) => BigInt(e.time));
    for (let i = 1; i < times.length; i++) expect(times[i]! > times[i - 1]!).toBe(true);
    const at = async (t: bigint) => a.get({ domain: D, type: T, key, at: t.toString() });

    expectError(await at(times[0]! - 1n), 'NOT_FOUND');
    expect(ok(await at(times[0]!)).getEntity).toMatchObject({ values: { v: 1 }, version: '1' });
    expect(ok(await at(times[1]! - 1n)).getEntity).toMatchObject({ values: { v: 1 }, version: '1' });
    expect(ok(await at(times[1]!)).getEntity).toMatchObject({ values: { v: 1, w: 2 }, version: '2' });
    expect(ok(await at(times[2]!)).getEntity).toMatchObject({ values: { v: 3 }, version: '3' });
    expectError(await at(times[3]!), 'NOT_FOUND');
    expectError(await at(times[4]! - 1n), 'NOT_FOUND');
    expect(ok(await at(times[4]!)).getEntity).toMatchObject({ values: { v: 5 }, version: '5' });
    expect(ok(await at(nowNs() + 3_600_000_000_000n)).getEntity).toMatchObject({ version: '5' });
  });

  it('at accepts an Int literal too', async () => {
    const res = await gql<{ getEntity: { version: string } }>(
      server.httpUrl,
      `{ getEntity(input: {domain: "${D}", type: "${T}", key: "${key}", at: ${events[0]!.time}}) { version } }`,
    );
    expect(ok(res).getEntity.version).toBe('1');
  });

  it.each([
    ['version and at together', { version: 1, at: '1' }],
    ['version -1 (a precondition, not a version)', { version: -1 }],
    ['version -2', { version: -2 }],
    ['at negative', { at: '-5' }],
    ['at not a number', { at: 'yesterday' }],
    ['version fractional', { version: 1.5 }],
    ['version beyond Int64', { version: '9223372036854775808' }],
  ])('%s is INVALID_ARGUMENT', async (_name, extra) => {
    expectError(await a.get({ domain: D, type: T, key, ...extra }), 'INVALID_ARGUMENT');
  });
});

describe('bad input never answers 5xx and never changes state', () => {
  let key: string;
  let existing: { id: string };
  beforeAll(async () => {
    key = uid('bad');
    ok(await a.set({ domain: D, type: T, key, values: { safe: true } }));
    existing = (await eventsOf(a, D, T, key))[0]!;
  });

  const name = (over: Record<string, unknown>) => ({ domain: D, type: T, ...over });
  type Case = [
    string,
    'set' | 'edit' | 'del' | 'get' | 'revert' | 'getEvent',
    (key: string) => Record<string, unknown>,
  ];
  const blanks: Array<[string, unknown]> = [
    ['empty', ''],
    ['a space', ' '],
    ['whitespace inside', 'a b'],
    ['a tab', '\t'],
    ['a newline', 'a\n'],
    ['too long', 'x'.repeat(257)],
  ];
  const cases: Case[] = [];
  for (const field of ['domain', 'type', 'key']) {
    for (const [what, value] of blanks) {
      cases.push([
        `set with ${field} ${what}`,
        'set',
        (k) => ({ ...name({ key: k }), [field]: value, values: { evil: 1 } }),
      ]);
      cases.push([
        `edit with ${field} ${what}`,
        'edit',
        (k) => ({ ...name({ key: k }), [field]: value, values: { evil: 1 } }),
      ]);
      cases.push([`del with ${field} ${what}`, 'del', (k) => ({ ...name({ key: k }), [field]: value })]);
      cases.push([`get with ${field} ${what}`, 'get', (k) => ({ ...name({ key: k }), [field]: value })]);
      cases.push([
        `revert with ${field} ${what}`,
        'revert',
        (k) => ({ ...name({ key: k }), [field]: value, id: existing.id }),
      ]);
    }
  }
  for (const [what, values] of [
    ['an array', [1, 2]],
    ['a string', 'text'],
    ['a number', 42],
    ['a boolean', true],
  ] as Array<[string, unknown]>) {
    cases.push([`set with values ${what}`, 'set', (k) => name({ key: k, values })]);
    cases.push([`edit with values ${what}`, 'edit', (k) => name({ key: k, values })]);
  }
  const deep: Record<string, unknown> = {};
  let cursor = deep;
  for (let i = 0; i < 40; i++) {
    const next: Record<string, unknown> = {};
    cursor.d = next;
    cursor = next;
  }
  cases.push(['set with values nested deeper than the limit', 'set', (k) => name({ key: k, values: deep })]);
  for (const [what, version] of [
    ['-2', -2],
    ['not a number', 'abc'],
    ['fractional', 1.5],
    ['a fractional string', '1.5'],
    ['beyond Int64', '99999999999999999999'],
    ['beyond 2^53 as a number', 2 ** 60],
    ['beyond 2^53 as a string', '9007199254740993'],
    ['a boolean', true],
  ] as Array<[string, unknown]>) {
    cases.push([`set with version ${what}`, 'set', (k) => name({ key: k, values: { evil: 1 }, version })]);
    cases.push([`del with version ${what}`, 'del', (k) => name({ key: k, version })]);
  }
  for (const id of ['', 'not-a-uuid', '6ba7b810-9dad-11d1-80b4-00c04fd430c8', "' OR 1=1 --"]) {
    cases.push([`revert with id ${JSON.stringify(id)}`, 'revert', (k) => name({ key: k, id })]);
    cases.push([`getEvent with id ${JSON.stringify(id)}`, 'getEvent', (k) => name({ key: k, id })]);
  }

  it.each(cases)('%s is INVALID_ARGUMENT', async (_name, op, input) => {
    const before = store.state();
    expectError(await a[op](input(key)), 'INVALID_ARGUMENT');
    expect(store.state()).toEqual(before);
  });

  it('leaves the entity they aimed at exactly as it was: one version, one event', async () => {
    expect(await current(key)).toMatchObject({ values: { safe: true }, version: '1' });
    expect(await eventsOf(a, D, T, key)).toHaveLength(1);
  });
});
