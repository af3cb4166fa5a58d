/**
 * Abuse catalogue, search filters and stream globs (issue 8): `$where`, `$regex` and every other
 * operator outside the safe subset, malformed and hostile field paths, huge `$in`, deep `$and` nesting,
 * too many terms, on REST, GraphQL and Connect alike (all INVALID_ARGUMENT); globs over
 * STATEGATE_GLOB_LENGTH refused on every stream transport; pathological `*?*?…` and `*a*a*…b` globs
 * matched in linear time while events flow. Each row checks the store, /healthz within 1 s during and
 * after, and prototypes (test/support/abuse/catalogue.ts).
 */

import {
  type AbuseCase,
  catalogue,
  expectConnect,
  expectGraphql,
  expectOk,
  expectRest,
} from '../support/abuse/catalogue.js';
import { envelope, http1 } from '../support/abuse/http.js';
import { connectCall, graphqlPost, restCall } from '../support/abuse/requests.js';
import { collect, wsClient } from '../support/graphql.js';
import { openSse } from '../support/rest.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { sleep, until } from './helpers.js';

let server: TestServer;
const GLOB_LENGTH = 256;

beforeAll(async () => {
  server = await startTestServer();
  for (const [key, values] of [
    ['ann', { age: 30, tags: ['vip'], name: 'Ann' }],
    ['bob', { age: 70, name: 'Bob' }],
  ] as const) {
    expectOk(await restCall(server.app.url, 'POST', `/api/entity/ref/filters/user/${key}`, { values }));
  }
});
afterAll(() => server?.close());

const U = () => server.app.url;

type Via = 'rest' | 'graphql' | 'connect';

/** Searches entities of filters/user with `queryString` (and a sort field) over one transport. */
async function search(via: Via, queryString: string, sortField?: string) {
  const sort = sortField === undefined ? undefined : { field: sortField };
  switch (via) {
    case 'rest': {
      const params = new URLSearchParams({ domain: 'filters', type: 'user', limit: '10', query_string: queryString });
      if (sortField !== undefined) params.set('sort.field', sortField);
      return restCall(U(), 'GET', `/api/entity/search?${params.toString()}`);
    }
    case 'graphql':
      return graphqlPost(U(), {
        query: 'query ($input: SearchEntityOpts!) { searchEntities(input: $input) { entities { key } } }',
        variables: { input: { domain: 'filters', type: 'user', limit: 10, query_string: queryString, sort } },
      });
    case 'connect':
      return connectCall(U(), '/stategate.EntityService/Search', {
        domain: 'filters',
        type: 'user',
        limit: 10,
        queryString,
        sort,
      });
  }
}

/** INVALID_ARGUMENT as each transport says it (GraphQL: raised by the operation, so HTTP 200). */
function expectInvalid(via: Via, res: Awaited<ReturnType<typeof search>>): void {
  if (via === 'rest') expectRest(res, 400, 'INVALID_ARGUMENT');
  else if (via === 'graphql') expectGraphql(res, 200, 'INVALID_ARGUMENT');
  else expectConnect(res, 400, 'INVALID_ARGUMENT');
}

const nested = (levels: number, leaf: string) => {
  let filter = leaf;
  for (let i = 0; i < levels; i++) filter = `{"$and": [${filter}]}`;
  return filter;
};
const many = (n: number) => `{${Array.from({ length: n }, (_, i) => `"f${i}": 1`).join(', ')}}`;

const BAD_FILTERS: Array<[string, string]> = [
  ['$where', '{"$where": "sleep(10000) || true"}'],
  ['$regex (catastrophic backtracking)', '{"name": {"$regex": "^(a+)+$"}}'],
  ['$expr', '{"$expr": {"$gt": ["$age", 1]}}'],
  ['$function', '{"$function": {"body": "return true", "args": [], "lang": "js"}}'],
  ['$text', '{"$text": {"$search": "Ann"}}'],
  ['$elemMatch', '{"tags": {"$elemMatch": {"$eq": "vip"}}}'],
  ['an unknown operator', '{"age": {"$foo": 1}}'],
  ['$nor at the top', '{"$nor": [{"age": 30}]}'],
  ['a path with an empty segment', '{"a..b": 1}'],
  ['a path starting with a dot', '{".a": 1}'],
  ['a path ending with a dot', '{"a.": 1}'],
  ['an empty path', '{"": 1}'],
  ['a path with a space', '{"a b": 1}'],
  ['a path with a $ segment', '{"a.$where": 1}'],
  ['a path with brackets', '{"a[0]": 1}'],
  ['a path with SQL', `{"a'); DROP TABLE entities; --": 1}`],
  ['a path with a JSON-path escape', '{"a\\"].b": 1}'],
  ['a path with NUL', '{"a\\u0000b": 1}'],
  ['a path of 17 segments', `{"${Array.from({ length: 17 }, () => 'a').join('.')}": 1}`],
  ['a segment of 65 characters', `{"${'a'.repeat(65)}": 1}`],
  ['$in with 1,001 values', `{"age": {"$in": [${Array.from({ length: 1001 }, (_, i) => i).join(',')}]}}`],
  ['$in with an object', '{"age": {"$in": [{"$gt": 1}]}}'],
  ['$and nested 9 deep', nested(9, '{"age": 30}')],
  ['$and nested 500 deep', nested(500, '{"age": 30}')],
  ['$not nested 9 deep', `{"age": ${'{"$not": '.repeat(9)}{"$gt": 1}${'}'.repeat(9)}}`],
  ['257 terms', many(257)],
  ['an empty $and', '{"$and": []}'],
  ['$or of a non-object', '{"$or": [5]}'],
  ['comparing with an object', '{"name": {"first": "Ann"}}'],
  ['$exists with a string', '{"age": {"$exists": "yes"}}'],
  ['a filter that is an array', '[{"age": 30}]'],
  ['a filter that is a number', '5'],
  ['a filter that is null', 'null'],
  ['invalid JSON', '{"age": '],
  ['a number beyond double range', '{"age": 1e400}'],
];

const filterCases: AbuseCase[] = [];
for (const via of ['rest', 'graphql', 'connect'] as const) {
  for (const [name, filter] of BAD_FILTERS) {
    filterCases.push({
      name: `filter: ${name}`,
      transport: via,
      request: `search query_string=${filter.length > 80 ? `${filter.slice(0, 77)}…` : filter}`,
      expected: 'INVALID_ARGUMENT',
      run: async () => expectInvalid(via, await search(via, filter)),
    });
  }
  filterCases.push(
    {
      name: 'sort by a malformed path',
      transport: via,
      request: 'search sort.field=a..b',
      expected: 'INVALID_ARGUMENT',
      run: async () => expectInvalid(via, await search(via, '', 'a..b')),
    },
    {
      name: 'sort by $where',
      transport: via,
      request: 'search sort.field=$where',
      expected: 'INVALID_ARGUMENT',
      run: async () => expectInvalid(via, await search(via, '', '$where')),
    },
    {
      // `__proto__` is a plain field name to the filter: it matches no entity; it must never reach a prototype.
      name: 'filter on __proto__ and constructor.prototype paths',
      transport: via,
      request: 'search query_string={"__proto__.polluted": true, "constructor.prototype.polluted": true}',
      expected: '200 no entities | INVALID_ARGUMENT',
      run: async () => {
        const res = await search(via, '{"__proto__.polluted": true, "constructor.prototype.polluted": true}');
        const body = res.json as { entities?: unknown[]; data?: { searchEntities?: { entities: unknown[] } } };
        const entities = via === 'graphql' ? body?.data?.searchEntities?.entities : body?.entities;
        // protojson leaves an empty list out: `{}` is no entities.
        if (res.status === 200 && body !== undefined && !('errors' in body)) expect(entities ?? []).toEqual([]);
        else expectInvalid(via, res);
      },
    },
    {
      // A control: the filters refuse what is outside the subset, not everything.
      name: 'control: a filter of the safe subset is served',
      transport: via,
      request: 'search query_string={"$or":[{"age":{"$gte":18,"$lt":65}},{"tags":{"$in":["staff"]}}]}',
      expected: '200 [ann]',
      run: async () => {
        const res = await search(via, '{"$or": [{"age": {"$gte": 18, "$lt": 65}}, {"tags": {"$in": ["staff"]}}]}');
        expectOk(res);
        expect(res.text).toContain('"ann"');
        expect(res.text).not.toContain('"bob"');
      },
    },
  );
}

// A huge $in whose JSON is larger than a query string can carry, by POST.
filterCases.push(
  {
    name: 'filter: $in with 100,000 values (a 600 KB query_string)',
    transport: 'graphql',
    request: 'searchEntities(query_string: {"age": {"$in": [0 … 99999]}})',
    expected: '200 INVALID_ARGUMENT',
    run: async () =>
      expectInvalid(
        'graphql',
        await search('graphql', `{"age": {"$in": [${Array.from({ length: 100_000 }, (_, i) => i).join(',')}]}}`),
      ),
  },
  {
    name: 'event filter on an unknown event field',
    transport: 'rest',
    request: 'GET /api/events/search?query_string={"values.age": 1}',
    expected: '400 INVALID_ARGUMENT',
    run: async () =>
      expectRest(
        await restCall(
          U(),
          'GET',
          `/api/events/search?domain=filters&limit=1&query_string=${encodeURIComponent('{"values.age": 1}')}`,
        ),
        400,
        'INVALID_ARGUMENT',
      ),
  },
  {
    name: 'event filter on time with a non-canonical string',
    transport: 'rest',
    request: 'GET /api/events/search?query_string={"time": {"$gt": " 1"}}',
    expected: '400 INVALID_ARGUMENT',
    run: async () =>
      expectRest(
        await restCall(
          U(),
          'GET',
          `/api/events/search?domain=filters&limit=1&query_string=${encodeURIComponent('{"time": {"$gt": " 1"}}')}`,
        ),
        400,
        'INVALID_ARGUMENT',
      ),
  },
  {
    name: 'event filter on time with a hexadecimal string',
    transport: 'rest',
    request: 'GET /api/events/search?query_string={"time": {"$gt": "0x1"}}',
    expected: '400 INVALID_ARGUMENT',
    run: async () =>
      expectRest(
        await restCall(
          U(),
          'GET',
          `/api/events/search?domain=filters&limit=1&query_string=${encodeURIComponent('{"time": {"$gt": "0x1"}}')}`,
        ),
        400,
        'INVALID_ARGUMENT',
      ),
  },
);

// ---------------------------------------------------------------------------------------------------
// Globs

const LONG = 'a'.repeat(GLOB_LENGTH + 1);

const globCases: AbuseCase[] = [
  ...(['domain', 'type', 'key'] as const).map(
    (field): AbuseCase => ({
      name: `an event stream ${field} glob over STATEGATE_GLOB_LENGTH`,
      transport: 'sse',
      request: `GET /api/events/stream?${field}=a×257 (accept: text/event-stream)`,
      expected: '400 INVALID_ARGUMENT',
      run: async () =>
        expectRest(
          await http1(U(), {
            path: `/api/events/stream?domain=filters&${field}=${LONG}`.replace(`domain=filters&domain=`, 'domain='),
            headers: { accept: 'text/event-stream' },
            timeoutMs: 5000,
          }),
          400,
          'INVALID_ARGUMENT',
        ),
    }),
  ),
  {
    name: 'an NDJSON event stream glob over STATEGATE_GLOB_LENGTH',
    transport: 'rest',
    request: 'GET /api/events/stream?domain=*×257',
    expected: '400 INVALID_ARGUMENT',
    run: async () =>
      expectRest(
        await http1(U(), { path: `/api/events/stream?domain=${'*'.repeat(257)}`, timeoutMs: 5000 }),
        400,
        'INVALID_ARGUMENT',
      ),
  },
  {
    name: 'a peer stream channel glob over STATEGATE_GLOB_LENGTH',
    transport: 'sse',
    request: 'GET /api/peers/stream?domain=filters&channel=?×257',
    expected: '400 INVALID_ARGUMENT',
    run: async () =>
      expectRest(
        await http1(U(), {
          path: `/api/peers/stream?domain=filters&channel=${'%3F'.repeat(257)}`,
          headers: { accept: 'text/event-stream' },
          timeoutMs: 5000,
        }),
        400,
        'INVALID_ARGUMENT',
      ),
  },
  {
    name: 'a graphql-ws subscription glob over STATEGATE_GLOB_LENGTH',
    transport: 'graphql-ws',
    request: 'subscribe streamEvents(input: {domain: "a"×257})',
    expected: 'error INVALID_ARGUMENT',
    run: async () => {
      const client = wsClient(server.wsUrl);
      try {
        const sub = collect(client, 'subscription ($d: String!) { streamEvents(input: {domain: $d}) { id } }', {
          d: LONG,
        });
        await Promise.race([sub.done.catch(() => {}), sub.waitFor(1, 5000).catch(() => {})]);
        const codes = sub.items.flatMap((i) => i.errors?.map((e) => e.extensions?.code) ?? []);
        expect(codes).toEqual(['INVALID_ARGUMENT']);
      } finally {
        await client.dispose();
      }
    },
  },
  {
    name: 'a GraphQL-over-SSE subscription glob over STATEGATE_GLOB_LENGTH',
    transport: 'sse',
    request: 'POST /api/graphql accept: text/event-stream subscription streamEvents(domain: "a"×257)',
    expected: 'an error event, INVALID_ARGUMENT',
    run: async () => {
      const res = await http1(U(), {
        method: 'POST',
        path: '/api/graphql',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: `subscription { streamEvents(input: {domain: "${LONG}"}) { id } }` }),
        timeoutMs: 5000,
      });
      expect(res.status).toBe(200);
      expect(res.text).toContain('"code":"INVALID_ARGUMENT"');
    },
  },
  {
    name: 'a Connect server-stream glob over STATEGATE_GLOB_LENGTH',
    transport: 'connect',
    request: 'POST /stategate.EventService/Stream application/connect+json {"domain": "a"×257}',
    expected: 'end-stream error invalid_argument',
    run: async () => {
      const res = await http1(U(), {
        method: 'POST',
        path: '/stategate.EventService/Stream',
        headers: { 'content-type': 'application/connect+json', 'connect-protocol-version': '1' },
        body: envelope(Buffer.from(JSON.stringify({ domain: LONG }))),
        timeoutMs: 5000,
      });
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/"error":\{"code":"invalid_argument"/);
    },
  },
];

/**
 * A pathological glob stays linear: subscribers with `*?*?…` (256 characters) and `*a*a*…*b` globs see
 * events of 256-character names flow through; a backtracking matcher would take exponential time per
 * event and stall the server (and /healthz, checked all along by the catalogue).
 */
function pathological(name: string, glob: string, matching: string, other: string): AbuseCase {
  return {
    name,
    transport: 'sse',
    request: `GET /api/events/stream?type=${glob.slice(0, 12)}… ×8 streams, 40 events`,
    expected: 'matching events delivered, others not; health within 1 s',
    mayWrite: true,
    run: async () => {
      const streams = await Promise.all(
        Array.from({ length: 8 }, () =>
          openSse(`${U()}/api/events/stream?domain=globs&type=${encodeURIComponent(glob)}`),
        ),
      );
      try {
        for (const s of streams) expect(s.response.status).toBe(200);
        await until(() => server.app.stategate.stats().eventSubscribers >= 8, '8 glob subscribers');
        for (let i = 0; i < 20; i++) {
          for (const type of [other, matching]) {
            const res = await restCall(U(), 'POST', `/api/entity/ref/globs/${type}/k${i}`, { values: { i } });
            expectOk(res);
          }
        }
        await Promise.all(streams.map((s) => s.waitFor(20, 10_000)));
        await sleep(50);
        for (const s of streams) {
          const types = new Set(s.items.map((e) => (JSON.parse(e.data) as { entity: { type: string } }).entity.type));
          expect([...types]).toEqual([matching]);
          expect(s.items.length).toBe(20);
        }
      } finally {
        for (const s of streams) s.close();
      }
    },
  };
}

globCases.push(
  pathological('a "*?*?…" glob of 256 characters', '*?'.repeat(128), 'x'.repeat(256), 'x'.repeat(127)),
  pathological('a "*a*a*…*b" glob against 256 "a"s', `${'*a'.repeat(127)}*b`, `${'a'.repeat(255)}b`, 'a'.repeat(256)),
);

const cases = [...filterCases, ...globCases];

catalogue('abuse catalogue: search filters and stream globs', cases, { server: () => server });

afterAll(() => {
  process.stdout.write(`abuse-filters: ${cases.length} cases\n`);
});
