import { startTestServer, type TestServer } from '../support/server.js';
import { type Api, api, type EventOut, expectError, ok, openStore, uid } from './helpers.js';

/** searchEntities and searchEvents: every filter operator, sorting, paging, the limit cap, bad filters. */

let server: TestServer;
let a: Api;
let store: ReturnType<typeof openStore>;

beforeAll(async () => {
  server = await startTestServer();
  a = api(server.httpUrl);
  store = openStore(server);
});

afterAll(async () => {
  store?.close();
  await server?.close();
});

const M = {
  set: '/stategate.EntityService/Set',
  edit: '/stategate.EntityService/Edit',
  revert: '/stategate.EntityService/Revert',
  del: '/stategate.EntityService/Del',
};

describe('searchEntities', () => {
  const D = uid('search-entities');
  const T = 'person';
  const people: Record<string, Record<string, unknown>> = {
    ann: { name: 'Ann', age: 30, active: true, tags: ['vip'], address: { city: 'Oslo', zip: '0150' } },
    bob: { name: 'Bob', age: 17, active: false, score: 2.5 },
    cid: { name: 'Cid', age: 65, nick: null, address: { city: 'Rome' } },
    dee: { name: 'Dee', age: '40', score: -1 },
  };

  beforeAll(async () => {
    for (const [key, values] of Object.entries(people)) ok(await a.set({ domain: D, type: T, key, values }));
    // Deleted entities are never found; an entity of another type or domain neither.
    ok(await a.set({ domain: D, type: T, key: 'eve', values: { name: 'Eve', age: 30 } }));
    ok(await a.del({ domain: D, type: T, key: 'eve' }));
    ok(await a.set({ domain: D, type: 'robot', key: 'r2', values: { name: 'R2', age: 30 } }));
    ok(await a.set({ domain: `${D}-other`, type: T, key: 'fay', values: { name: 'Fay', age: 30 } }));
  });

  const search = async (input: Record<string, unknown>) =>
    ok(await a.searchEntities({ domain: D, type: T, limit: 100, ...input })).searchEntities.entities;
  const keys = async (input: Record<string, unknown>) => (await search(input)).map((e) => e.key);

  it('without a filter lists every live entity of the domain and type, by key, with its state', async () => {
    const entities = await search({});
    expect(entities.map((e) => e.key)).toEqual(['ann', 'bob', 'cid', 'dee']);
    expect(entities[0]).toEqual({ domain: D, type: T, key: 'ann', values: people.ann, version: '1' });
    expect(await keys({ query_string: '' })).toEqual(['ann', 'bob', 'cid', 'dee']);
    expect(await keys({ query_string: '{}' })).toEqual(['ann', 'bob', 'cid', 'dee']);
  });

  const filters: Array<[string, unknown, string[]]> = [
    ['implicit $eq on a string', { name: 'Ann' }, ['ann']],
    ['$eq on a number', { age: { $eq: 30 } }, ['ann']],
    ['$eq on a number does not match the same digits as a string', { age: 40 }, []],
    ['$eq on a string', { age: '40' }, ['dee']],
    ['$eq on a boolean', { active: false }, ['bob']],
    ['$eq null matches null and missing fields', { nick: null }, ['ann', 'bob', 'cid', 'dee']],
    ['$ne also matches other types and missing fields', { age: { $ne: 30 } }, ['bob', 'cid', 'dee']],
    ['$gt on numbers (a string never compares with a number)', { age: { $gt: 17 } }, ['ann', 'cid']],
    ['$gte', { age: { $gte: 17 } }, ['ann', 'bob', 'cid']],
    ['$lt', { age: { $lt: 30 } }, ['bob']],
    ['$lte', { age: { $lte: 30 } }, ['ann', 'bob']],
    ['$gt on a fractional number', { score: { $gt: 2 } }, ['bob']],
    ['$lt on a negative number', { score: { $lt: 0 } }, ['dee']],
    ['$gte and $lt on strings', { name: { $gte: 'B', $lt: 'D' } }, ['bob', 'cid']],
    ['a range: two operators on one field', { age: { $gte: 18, $lt: 65 } }, ['ann']],
    ['$in', { age: { $in: [17, 65, 99] } }, ['bob', 'cid']],
    ['$in mixing types', { age: { $in: [17, '40'] } }, ['bob', 'dee']],
    ['$nin (also matches missing fields)', { age: { $nin: [17, 65] } }, ['ann', 'dee']],
    ['$nin on a field only some have', { score: { $nin: [2.5] } }, ['ann', 'cid', 'dee']],
    ['$exists true', { address: { $exists: true } }, ['ann', 'cid']],
    ['$exists false', { address: { $exists: false } }, ['bob', 'dee']],
    ['$exists true matches a field set to null', { nick: { $exists: true } }, ['cid']],
    ['$exists on a nested path', { 'address.zip': { $exists: true } }, ['ann']],
    ['a nested path', { 'address.city': 'Rome' }, ['cid']],
    ['$and', { $and: [{ age: { $gt: 10 } }, { age: { $lt: 40 } }] }, ['ann', 'bob']],
    ['$or', { $or: [{ age: { $lt: 18 } }, { name: 'Cid' }] }, ['bob', 'cid']],
    ['$not (also matches missing fields and other types)', { age: { $not: { $gt: 20 } } }, ['bob', 'dee']],
    ['$not of $in', { name: { $not: { $in: ['Ann', 'Bob'] } } }, ['cid', 'dee']],
    ['several fields are all required', { active: true, 'address.city': 'Oslo' }, ['ann']],
    [
      '$or with $and inside',
      { $or: [{ $and: [{ age: { $gte: 30 } }, { active: true }] }, { score: -1 }] },
      ['ann', 'dee'],
    ],
    [
      'README example',
      { $or: [{ age: { $gte: 18, $lt: 65 } }, { tags: { $in: ['x'] } }], deleted: { $exists: false } },
      ['ann'],
    ],
    ['_id is the key', { _id: 'bob' }, ['bob']],
    ['_id with $in (a deleted key is not found)', { _id: { $in: ['ann', 'dee', 'eve'] } }, ['ann', 'dee']],
    ['_id with $gt', { _id: { $gt: 'bob' } }, ['cid', 'dee']],
    ['a deleted entity’s values are not found', { name: 'Eve' }, []],
    ['a field nobody has', { missing: 1 }, []],
  ];

  it.each(filters)('%s', async (_name, filter, expected) => {
    expect(await keys({ query_string: JSON.stringify(filter) })).toEqual(expected);
  });

  const sorts: Array<[string, Record<string, unknown>, string[]]> = [
    ['by a string field', { sort: { field: 'name' } }, ['ann', 'bob', 'cid', 'dee']],
    ['by a string field, reversed', { sort: { field: 'name', reverse: true } }, ['dee', 'cid', 'bob', 'ann']],
    ['by a number field (numbers before strings)', { sort: { field: 'age' } }, ['bob', 'ann', 'cid', 'dee']],
    ['by a number field, reversed', { sort: { field: 'age', reverse: true } }, ['dee', 'cid', 'ann', 'bob']],
    ['by a field some lack (missing first)', { sort: { field: 'score' } }, ['ann', 'cid', 'dee', 'bob']],
    ['by _id, reversed', { sort: { field: '_id', reverse: true } }, ['dee', 'cid', 'bob', 'ann']],
    ['with reverse false', { sort: { field: 'age', reverse: false } }, ['bob', 'ann', 'cid', 'dee']],
    ['limit', { limit: 2 }, ['ann', 'bob']],
    ['offset', { offset: 1, limit: 2 }, ['bob', 'cid']],
    ['offset past the end', { offset: 10 }, []],
    ['offset 0', { offset: 0, limit: 1 }, ['ann']],
    ['sorted, offset and limit', { sort: { field: 'age', reverse: true }, offset: 1, limit: 2 }, ['cid', 'ann']],
    [
      'filtered and sorted',
      { query_string: '{"age": {"$gte": 17}}', sort: { field: 'age', reverse: true } },
      ['cid', 'ann', 'bob'],
    ],
  ];

  it.each(sorts)('sorts and pages: %s', async (_name, input, expected) => {
    expect(await keys(input)).toEqual(expected);
  });

  it('sees an edit and no longer finds what changed away', async () => {
    const key = uid();
    ok(await a.set({ domain: D, type: 'mutable', key, values: { state: 'open' } }));
    const find = (state: string) =>
      a.searchEntities({ domain: D, type: 'mutable', limit: 10, query_string: JSON.stringify({ state }) });
    expect(ok(await find('open')).searchEntities.entities.map((e) => e.key)).toEqual([key]);
    ok(await a.edit({ domain: D, type: 'mutable', key, values: { state: 'closed' } }));
    expect(ok(await find('open')).searchEntities.entities).toEqual([]);
    expect(ok(await find('closed')).searchEntities.entities).toMatchObject([{ key, version: '2' }]);
    ok(await a.del({ domain: D, type: 'mutable', key }));
    expect(ok(await find('closed')).searchEntities.entities).toEqual([]);
  });

  it('of an unknown domain or type finds nothing', async () => {
    expect(ok(await a.searchEntities({ domain: uid(), type: T, limit: 10 })).searchEntities.entities).toEqual([]);
    expect(ok(await a.searchEntities({ domain: D, type: uid(), limit: 10 })).searchEntities.entities).toEqual([]);
  });
});

describe('searchEvents', () => {
  const D = uid('search-events');
  const T = 'order';
  /** The fixture's events in log order, each labelled key@version. */
  let log: EventOut[];
  const label = (e: EventOut) => `${e.entity.key}@${e.entity.version}`;

  beforeAll(async () => {
    ok(await a.set({ domain: D, type: T, key: 'k1', values: { n: 1, color: 'red' } }));
    ok(await a.edit({ domain: D, type: T, key: 'k1', values: { n: 2 } }));
    ok(await a.set({ domain: D, type: T, key: 'k2', values: { n: 5, color: 'blue' } }));
    ok(await a.del({ domain: D, type: T, key: 'k2' }));
    ok(await a.set({ domain: D, type: T, key: 'k3', values: { n: 10, nested: { x: 'y' } } }));
    const k3 = ok(await a.searchEvents({ domain: D, type: T, limit: 10, query_string: '{"entity.key": "k3"}' }));
    ok(await a.revert({ domain: D, type: T, key: 'k3', id: k3.searchEvents.events[0]!.id }));
    ok(await a.set({ domain: D, type: 'other', key: 'k1', values: { n: 1 } }));
    log = ok(await a.searchEvents({ domain: D, type: T, limit: 100 })).searchEvents.events;
  });

  const search = async (input: Record<string, unknown>) =>
    ok(await a.searchEvents({ domain: D, type: T, limit: 100, ...input })).searchEvents.events;
  const labels = async (input: Record<string, unknown>) => (await search(input)).map(label);

  it('without a filter lists the domain and type’s events in position order, deleted entities included', () => {
    expect(log.map(label)).toEqual(['k1@1', 'k1@2', 'k2@1', 'k2@2', 'k3@1', 'k3@2']);
    expect(log.map((e) => e.method)).toEqual([M.set, M.edit, M.set, M.del, M.set, M.revert]);
  });

  const filters: Array<[string, () => unknown, string[]]> = [
    ['entity.key', () => ({ 'entity.key': 'k1' }), ['k1@1', 'k1@2']],
    ['entity.key $eq', () => ({ 'entity.key': { $eq: 'k2' } }), ['k2@1', 'k2@2']],
    ['entity.key $ne', () => ({ 'entity.key': { $ne: 'k1' } }), ['k2@1', 'k2@2', 'k3@1', 'k3@2']],
    ['entity.key $gt', () => ({ 'entity.key': { $gt: 'k2' } }), ['k3@1', 'k3@2']],
    ['entity.key $lte', () => ({ 'entity.key': { $lte: 'k1' } }), ['k1@1', 'k1@2']],
    ['method', () => ({ method: M.edit }), ['k1@2']],
    ['method $in', () => ({ method: { $in: [M.del, M.revert] } }), ['k2@2', 'k3@2']],
    ['method $nin', () => ({ method: { $nin: [M.set] } }), ['k1@2', 'k2@2', 'k3@2']],
    ['entity.version', () => ({ 'entity.version': 2 }), ['k1@2', 'k2@2', 'k3@2']],
    ['entity.version $lt', () => ({ 'entity.version': { $lt: 2 } }), ['k1@1', 'k2@1', 'k3@1']],
    ['entity.values.x $gt', () => ({ 'entity.values.n': { $gt: 2 } }), ['k2@1', 'k2@2', 'k3@1', 'k3@2']],
    ['entity.values.x $gte', () => ({ 'entity.values.n': { $gte: 2 } }), ['k1@2', 'k2@1', 'k2@2', 'k3@1', 'k3@2']],
    ['entity.values.x $lt', () => ({ 'entity.values.n': { $lt: 5 } }), ['k1@1', 'k1@2']],
    ['entity.values.x $lte', () => ({ 'entity.values.n': { $lte: 5 } }), ['k1@1', 'k1@2', 'k2@1', 'k2@2']],
    [
      'entity.values.x $eq (the Del event carries the state before)',
      () => ({ 'entity.values.color': 'blue' }),
      ['k2@1', 'k2@2'],
    ],
    ['entity.values nested path', () => ({ 'entity.values.nested.x': 'y' }), ['k3@1', 'k3@2']],
    ['entity.values $exists true', () => ({ 'entity.values.nested': { $exists: true } }), ['k3@1', 'k3@2']],
    ['entity.values $exists false', () => ({ 'entity.values.color': { $exists: false } }), ['k3@1', 'k3@2']],
    ['entity.values $not', () => ({ 'entity.values.n': { $not: { $gt: 2 } } }), ['k1@1', 'k1@2']],
    ['$and', () => ({ $and: [{ 'entity.key': 'k1' }, { 'entity.version': 2 }] }), ['k1@2']],
    ['$or', () => ({ $or: [{ 'entity.key': 'k1' }, { method: M.del }] }), ['k1@1', 'k1@2', 'k2@2']],
    ['_id', () => ({ _id: log[2]!.id }), ['k2@1']],
    ['_id $in', () => ({ _id: { $in: [log[0]!.id, log[4]!.id] } }), ['k1@1', 'k3@1']],
    ['_id $ne', () => ({ _id: { $ne: log[0]!.id } }), ['k1@2', 'k2@1', 'k2@2', 'k3@1', 'k3@2']],
    ['claims.x $exists false (claims are {} without auth)', () => ({ 'claims.sub': { $exists: false } }), log0()],
    ['claims.x $eq', () => ({ 'claims.sub': 'alice' }), []],
    ['claims.x $ne', () => ({ 'claims.sub': { $ne: 'alice' } }), log0()],
    ['time $gte (a decimal string)', () => ({ time: { $gte: log[2]!.time } }), ['k2@1', 'k2@2', 'k3@1', 'k3@2']],
    ['time $gt', () => ({ time: { $gt: log[2]!.time } }), ['k2@2', 'k3@1', 'k3@2']],
    ['time $lt', () => ({ time: { $lt: log[2]!.time } }), ['k1@1', 'k1@2']],
    ['time $lte', () => ({ time: { $lte: log[2]!.time } }), ['k1@1', 'k1@2', 'k2@1']],
    ['time $eq', () => ({ time: log[3]!.time }), ['k2@2']],
    ['time $in', () => ({ time: { $in: [log[1]!.time, log[5]!.time] } }), ['k1@2', 'k3@2']],
    ['time range', () => ({ time: { $gt: log[0]!.time, $lt: log[3]!.time } }), ['k1@2', 'k2@1']],
    ['position', () => ({ position: Number(log[1]!.position) }), ['k1@2']],
    ['position $gt', () => ({ position: { $gt: Number(log[3]!.position) } }), ['k3@1', 'k3@2']],
  ];
  function log0() {
    return ['k1@1', 'k1@2', 'k2@1', 'k2@2', 'k3@1', 'k3@2'];
  }

  it.each(filters)('filters on %s', async (_name, filter, expected) => {
    expect(await labels({ query_string: JSON.stringify(filter()) })).toEqual(expected);
  });

  it('min and max bound the time, inclusively', async () => {
    expect(await labels({ min: log[2]!.time, max: log[4]!.time })).toEqual(['k2@1', 'k2@2', 'k3@1']);
    expect(await labels({ min: log[5]!.time })).toEqual(['k3@2']);
    expect(await labels({ max: log[0]!.time })).toEqual(['k1@1']);
    expect(await labels({ min: log[3]!.time, max: log[3]!.time })).toEqual(['k2@2']);
    expect(await labels({ min: (BigInt(log[5]!.time) + 1n).toString() })).toEqual([]);
  });

  it('after pages through the log by position', async () => {
    const pages: string[][] = [];
    let after = '0';
    for (;;) {
      const page = await search({ after, limit: 4 });
      if (page.length === 0) break;
      pages.push(page.map(label));
      after = page.at(-1)!.position;
    }
    expect(pages).toEqual([
      ['k1@1', 'k1@2', 'k2@1', 'k2@2'],
      ['k3@1', 'k3@2'],
    ]);
    expect(await labels({ after: log[1]!.position, limit: 2 })).toEqual(['k2@1', 'k2@2']);
    expect(await labels({ after: log[5]!.position })).toEqual([]);
  });

  it('after, min and a filter combine', async () => {
    const res = await labels({ after: log[0]!.position, min: log[1]!.time, query_string: '{"entity.version": 2}' });
    expect(res).toEqual(['k1@2', 'k2@2', 'k3@2']);
  });

  const sorts: Array<[string, Record<string, unknown>, string[]]> = [
    ['time reversed', { sort: { field: 'time', reverse: true } }, ['k3@2', 'k3@1', 'k2@2', 'k2@1', 'k1@2', 'k1@1']],
    [
      'position reversed',
      { sort: { field: 'position', reverse: true } },
      ['k3@2', 'k3@1', 'k2@2', 'k2@1', 'k1@2', 'k1@1'],
    ],
    [
      'entity.version (ties by position)',
      { sort: { field: 'entity.version' } },
      ['k1@1', 'k2@1', 'k3@1', 'k1@2', 'k2@2', 'k3@2'],
    ],
    [
      'entity.key reversed',
      { sort: { field: 'entity.key', reverse: true } },
      ['k3@1', 'k3@2', 'k2@1', 'k2@2', 'k1@1', 'k1@2'],
    ],
    ['method', { sort: { field: 'method' } }, ['k2@2', 'k1@2', 'k3@2', 'k1@1', 'k2@1', 'k3@1']],
    [
      'entity.values.n reversed',
      { sort: { field: 'entity.values.n', reverse: true } },
      ['k3@1', 'k3@2', 'k2@1', 'k2@2', 'k1@2', 'k1@1'],
    ],
    [
      'reversed with offset and limit',
      { sort: { field: 'time', reverse: true }, offset: 2, limit: 2 },
      ['k2@2', 'k2@1'],
    ],
    ['offset alone', { offset: 4 }, ['k3@1', 'k3@2']],
    ['limit alone', { limit: 1 }, ['k1@1']],
  ];

  it.each(sorts)('sorts and pages: %s', async (_name, input, expected) => {
    expect(await labels(input)).toEqual(expected);
  });
});

describe('bad searches are INVALID_ARGUMENT, never a 5xx, never a state change', () => {
  const D = 'search-bad';
  const T = 'thing';
  beforeAll(async () => {
    ok(await a.set({ domain: D, type: T, key: 'x', values: { a: 1 } }));
  });

  const both: Array<[string, unknown]> = [
    ['$where at the top', { $where: 'this.a == 1' }],
    ['$where on a field', { a: { $where: '1' } }],
    ['$regex', { a: { $regex: '.*' } }],
    ['$function', { $function: { body: 'return true', args: [], lang: 'js' } }],
    ['$function on a field', { a: { $function: 'x' } }],
    ['$expr', { $expr: { $gt: ['$a', 0] } }],
    ['$elemMatch', { a: { $elemMatch: { b: 1 } } }],
    ['$text', { $text: { $search: 'x' } }],
    ['$nor', { $nor: [{ a: 1 }] }],
    ['an unknown operator', { a: { $foo: 1 } }],
    ['$not at the top', { $not: { a: 1 } }],
    ['mixing operators and fields in a condition', { a: { $gt: 1, b: 2 } }],
    ['comparing with an object', { a: { b: 1 } }],
    ['comparing with an empty object', { a: {} }],
    ['$gt with an object', { a: { $gt: { b: 1 } } }],
    ['$eq with an array', { a: { $eq: [1] } }],
    ['$in without an array', { a: { $in: 1 } }],
    ['$in with an object inside', { a: { $in: [{ b: 1 }] } }],
    ['$exists with a non-boolean', { a: { $exists: 1 } }],
    ['$and with an empty array', { $and: [] }],
    ['$or without an array', { $or: { a: 1 } }],
    ['$or with an empty filter', { $or: [{}] }],
    ['$not with a value', { a: { $not: 5 } }],
  ];
  const entityOnly: Array<[string, unknown]> = [
    ['a SQL-looking path', { "a') OR 1=1 --": 1 }],
    ['a SQL-looking path with a quote', { 'a" OR "1"="1': 1 }],
    ['a path with a semicolon', { 'a; DROP TABLE entities': 1 }],
    ['a JSON-path-looking path', { '$.a': 1 }],
    ['an empty path', { '': 1 }],
    ['an empty segment', { 'a..b': 1 }],
    ['a leading dot', { '.a': 1 }],
    ['a trailing dot', { 'a.': 1 }],
    ['a path with a space', { 'a b': 1 }],
    ['a path with brackets', { 'a[0]': 1 }],
    ['a path deeper than 16', { [Array.from({ length: 17 }, () => 'a').join('.')]: 1 }],
  ];
  const eventOnly: Array<[string, unknown]> = [
    ['an unknown event field', { color: 'red' }],
    ['entity.values without a path', { 'entity.values': 1 }],
    ['entity.domain (not searchable)', { 'entity.domain': 'x' }],
    ['a SQL-looking path', { "entity.values.a') OR 1=1 --": 1 }],
    ['a SQL-looking claims path', { 'claims.a" --': 1 }],
    ['time as a non-numeric string', { time: { $gt: 'yesterday' } }],
    ['time as a fractional number', { time: 1.5 }],
    ['entity.version as a string', { 'entity.version': '2' }],
    ['position as a string', { position: '1' }],
    ['entity.key as a number', { 'entity.key': 1 }],
    ['method as a boolean', { method: true }],
  ];
  const rawStrings: Array<[string, string]> = [
    ['bad JSON', '{"a": '],
    ['not JSON at all', "a' OR 1=1 --"],
    ['a JSON array', '[{"a": 1}]'],
    ['a JSON string', '"a"'],
    ['a JSON number', '1'],
    ['JSON null', 'null'],
  ];

  const entityCases: Array<[string, Record<string, unknown>]> = [
    ...[...both, ...entityOnly].map(([n, f]): [string, Record<string, unknown>] => [
      n,
      { query_string: JSON.stringify(f) },
    ]),
    ...rawStrings.map(([n, q]): [string, Record<string, unknown>] => [n, { query_string: q }]),
    ['limit 0', { limit: 0 }],
    ['limit -1', { limit: -1 }],
    ['offset -1', { offset: -1 }],
    ['an empty domain', { domain: '' }],
    ['a whitespace type', { type: ' ' }],
    ['a domain with whitespace', { domain: 'a b' }],
    ['sort by a malformed path', { sort: { field: "a') --" } }],
    ['sort by an operator', { sort: { field: '$where' } }],
  ];
  const eventCases: Array<[string, Record<string, unknown>]> = [
    ...[...both, ...eventOnly].map(([n, f]): [string, Record<string, unknown>] => [
      n,
      { query_string: JSON.stringify(f) },
    ]),
    ...rawStrings.map(([n, q]): [string, Record<string, unknown>] => [n, { query_string: q }]),
    ['limit 0', { limit: 0 }],
    ['limit -5', { limit: -5 }],
    ['offset -1', { offset: -1 }],
    ['an empty domain', { domain: '' }],
    ['a whitespace type', { type: '\t' }],
    ['min after max', { min: '2000', max: '1000' }],
    ['min not a number', { min: 'now' }],
    ['max fractional', { max: 1.5 }],
    ['after negative', { after: -1 }],
    ['after not a number', { after: 'x' }],
    ['after beyond Int64', { after: '9223372036854775808' }],
    ['sort by an unknown event field', { sort: { field: 'color' } }],
    ['sort by a malformed path', { sort: { field: 'entity.values.a b' } }],
  ];

  it.each(entityCases)('searchEntities with %s', async (_name, input) => {
    const before = store.state();
    expectError(await a.searchEntities({ domain: D, type: T, limit: 10, ...input }), 'INVALID_ARGUMENT');
    expect(store.state()).toEqual(before);
  });

  it.each(eventCases)('searchEvents with %s', async (_name, input) => {
    const before = store.state();
    expectError(await a.searchEvents({ domain: D, type: T, limit: 10, ...input }), 'INVALID_ARGUMENT');
    expect(store.state()).toEqual(before);
  });

  it('the entity searched for is still there, untouched', async () => {
    const found = ok(await a.searchEntities({ domain: D, type: T, limit: 10 })).searchEntities.entities;
    expect(found).toEqual([{ domain: D, type: T, key: 'x', values: { a: 1 }, version: '1' }]);
  });
});

describe('the search limit is capped', () => {
  it('at STATEGATE_SEARCH_LIMIT_CAP: asking for 50 gets 5', async () => {
    const capped = await startTestServer({ STATEGATE_SEARCH_LIMIT_CAP: '5' });
    try {
      const c = api(capped.httpUrl);
      await Promise.all(
        Array.from({ length: 8 }, (_, i) => c.set({ domain: 'cap', type: 't', key: `k${i}`, values: { i } })).map(
          async (p) => ok(await p),
        ),
      );
      const entities = ok(await c.searchEntities({ domain: 'cap', type: 't', limit: 50 })).searchEntities.entities;
      expect(entities.map((e) => e.key)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
      const events = ok(await c.searchEvents({ domain: 'cap', type: 't', limit: 50 })).searchEvents.events;
      expect(events).toHaveLength(5);
      // Below the cap the limit holds; offsets still page past the cap.
      expect(ok(await c.searchEntities({ domain: 'cap', type: 't', limit: 3 })).searchEntities.entities).toHaveLength(
        3,
      );
      const rest = ok(await c.searchEntities({ domain: 'cap', type: 't', limit: 50, offset: 5 })).searchEntities
        .entities;
      expect(rest.map((e) => e.key)).toEqual(['k5', 'k6', 'k7']);
    } finally {
      await capped.close();
    }
  });

  it('at 1000 by default', async () => {
    const D = uid('cap-default');
    const total = 1010;
    for (let start = 0; start < total; start += 250) {
      const batch = Array.from({ length: Math.min(250, total - start) }, (_, i) =>
        a.set({ domain: D, type: 't', key: `k${String(start + i).padStart(5, '0')}`, values: { i: start + i } }),
      );
      for (const res of await Promise.all(batch)) ok(res);
    }
    const entities = ok(await a.searchEntities({ domain: D, type: 't', limit: 100_000 })).searchEntities.entities;
    expect(entities).toHaveLength(1000);
    const events = ok(await a.searchEvents({ domain: D, type: 't', limit: 2_000_000_000 })).searchEvents.events;
    expect(events).toHaveLength(1000);
    const tail = ok(await a.searchEntities({ domain: D, type: 't', limit: 100_000, offset: 1000 })).searchEntities;
    expect(tail.entities).toHaveLength(10);
  });
});
