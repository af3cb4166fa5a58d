/**
 * Abuse catalogue, GraphQL over HTTP (issue 8): CSRF (non-JSON POSTs), alias/depth/token/directive/cost
 * bombs, the 300,000-field document, introspection when disabled, the request-error table, strict Int64
 * and hostile JSON in variables. Each row asserts the exact status and `extensions.code`, that the store is
 * unchanged, that /healthz answers within 1 s during and after, and that no prototype was polluted
 * (test/support/abuse/catalogue.ts).
 *
 * Status conventions (GraphQL over HTTP): a request error (parse, validation, variable coercion, a limit)
 * is HTTP 400 INVALID_ARGUMENT (405 for a mutation over GET, 415 for a non-JSON POST); an error raised by
 * the operation itself (core's validation of values) is HTTP 200 with `data: null` and the error's code.
 */

import { type AbuseCase, catalogue, expectGraphql, expectOk } from '../support/abuse/catalogue.js';
import { graphqlGet, graphqlPost } from '../support/abuse/requests.js';
import { startTestServer, type TestServer } from '../support/server.js';

let main: TestServer;
let tight: TestServer;

/** The tight server's limits: small, so each limit can be hit alone by a small document. */
const TIGHT = {
  STATEGATE_GRAPHQL_MAX_DEPTH: '3',
  STATEGATE_GRAPHQL_MAX_ALIASES: '2',
  STATEGATE_GRAPHQL_MAX_TOKENS: '150',
  STATEGATE_GRAPHQL_MAX_DIRECTIVES: '2',
  STATEGATE_GRAPHQL_MAX_COST: '15',
  STATEGATE_GRAPHQL_INTROSPECTION: 'false',
};

beforeAll(async () => {
  [main, tight] = await Promise.all([startTestServer(), startTestServer(TIGHT)]);
  for (const server of [main, tight]) {
    // One entity at version 1: an Int64 precondition read as 1 would overwrite it (the issue's `"0x1"`).
    const res = await graphqlPost(server.app.url, {
      query: 'mutation { setEntity(input: {domain: "abuse", type: "user", key: "ann", values: {a: 1}}) }',
    });
    expectOk(res);
  }
});
afterAll(async () => {
  await Promise.all([main?.close(), tight?.close()]);
});

const M = () => main.app.url;
const T = () => tight.app.url;

const ANN = 'input: {domain: "abuse", type: "user", key: "ann"}';
const SET_ANN = 'mutation { setEntity(input: {domain: "abuse", type: "user", key: "ann", values: {a: 666}}) }';
const SET_VERSION =
  'mutation ($v: Int64) { setEntity(input: {domain: "abuse", type: "user", key: "ann", values: {a: 2}, version: $v}) }';
const SET_VALUES =
  'mutation ($k: String!, $v: JSON!) { setEntity(input: {domain: "abuse", type: "user", key: $k, values: $v}) }';
const aliases = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
const deepJson = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

/** A request error: HTTP 400 INVALID_ARGUMENT. */
const badRequest = (send: () => ReturnType<typeof graphqlPost>) => async () =>
  expectGraphql(await send(), 400, 'INVALID_ARGUMENT');
/** An error the operation raised (core validation): HTTP 200, data null, INVALID_ARGUMENT. */
const badInput = (send: () => ReturnType<typeof graphqlPost>) => async () =>
  expectGraphql(await send(), 200, 'INVALID_ARGUMENT');
/** Either kind: the issue pins the code, not whether a limit is checked before or in the operation. */
const refused = (send: () => ReturnType<typeof graphqlPost>) => async () => {
  const res = await send();
  expectGraphql(res, res.status === 200 ? 200 : 400, 'INVALID_ARGUMENT');
};

const csrf: AbuseCase[] = [
  {
    name: 'form-encoded mutation (a cross-site <form> POST)',
    transport: 'graphql',
    request: 'POST application/x-www-form-urlencoded query=mutation{setEntity…}',
    expected: '415 INVALID_ARGUMENT',
    run: async () =>
      expectGraphql(
        await graphqlPost(M(), `query=${encodeURIComponent(SET_ANN)}`, {
          'content-type': 'application/x-www-form-urlencoded',
        }),
        415,
        'INVALID_ARGUMENT',
      ),
  },
  {
    name: 'form-encoded mutation with a charset',
    transport: 'graphql',
    request: 'POST application/x-www-form-urlencoded; charset=UTF-8',
    expected: '415 INVALID_ARGUMENT',
    run: async () =>
      expectGraphql(
        await graphqlPost(M(), `query=${encodeURIComponent(SET_ANN)}`, {
          'content-type': 'application/x-www-form-urlencoded; charset=UTF-8',
        }),
        415,
        'INVALID_ARGUMENT',
      ),
  },
  {
    name: 'text/plain carrying JSON (the other simple-request type)',
    transport: 'graphql',
    request: 'POST text/plain {"query":"mutation…"}',
    expected: '415 INVALID_ARGUMENT',
    run: async () =>
      expectGraphql(
        await graphqlPost(M(), JSON.stringify({ query: SET_ANN }), { 'content-type': 'text/plain' }),
        415,
        'INVALID_ARGUMENT',
      ),
  },
  {
    name: 'multipart/form-data mutation',
    transport: 'graphql',
    request: 'POST multipart/form-data operations=…',
    expected: '415 INVALID_ARGUMENT',
    run: async () => {
      const boundary = 'xBOUNDARYx';
      const body = `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: SET_ANN })}\r\n--${boundary}--\r\n`;
      expectGraphql(
        await graphqlPost(M(), body, { 'content-type': `multipart/form-data; boundary=${boundary}` }),
        415,
        'INVALID_ARGUMENT',
      );
    },
  },
  {
    name: 'a POST without a content type',
    transport: 'graphql',
    request: 'POST (no content-type) {"query":"mutation…"}',
    expected: '415 INVALID_ARGUMENT',
    run: async () =>
      expectGraphql(await graphqlPost(M(), JSON.stringify({ query: SET_ANN }), {}), 415, 'INVALID_ARGUMENT'),
  },
  {
    // Strictest reading of "non-JSON GraphQL POSTs refused (415)": application/graphql is not JSON either.
    name: 'application/graphql body',
    transport: 'graphql',
    request: 'POST application/graphql mutation{…}',
    expected: '415 INVALID_ARGUMENT',
    run: async () =>
      expectGraphql(
        await graphqlPost(M(), SET_ANN, { 'content-type': 'application/graphql' }),
        415,
        'INVALID_ARGUMENT',
      ),
  },
  {
    name: 'text/plain whose parameter mentions json',
    transport: 'graphql',
    request: 'POST text/plain; charset=application/json',
    expected: '415 INVALID_ARGUMENT',
    run: async () =>
      expectGraphql(
        await graphqlPost(M(), JSON.stringify({ query: SET_ANN }), {
          'content-type': 'text/plain; charset=application/json',
        }),
        415,
        'INVALID_ARGUMENT',
      ),
  },
  {
    name: 'a mutation over GET',
    transport: 'graphql',
    request: 'GET ?query=mutation{setEntity…}',
    expected: '405 INVALID_ARGUMENT',
    run: async () => expectGraphql(await graphqlGet(M(), { query: SET_ANN }), 405, 'INVALID_ARGUMENT'),
  },
  {
    name: 'a mutation over GET picked by operationName',
    transport: 'graphql',
    request: 'GET ?query=query q{__typename} mutation m{…}&operationName=m',
    expected: '405 INVALID_ARGUMENT',
    run: async () =>
      expectGraphql(
        await graphqlGet(M(), {
          query: `query q { __typename } ${SET_ANN.replace('mutation', 'mutation m')}`,
          operationName: 'm',
        }),
        405,
        'INVALID_ARGUMENT',
      ),
  },
];

const bombs: AbuseCase[] = [
  {
    name: '10,000 aliases of getEntity',
    transport: 'graphql',
    request: '{ a0: getEntity(…){key} … a9999 }',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() => graphqlPost(M(), { query: aliases(10_000, `getEntity(${ANN}) { key }`) })),
  },
  {
    name: '16 aliases (one over the default 15)',
    transport: 'graphql',
    request: '{ a0: getEntity … a15 }',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() => graphqlPost(M(), { query: aliases(16, `getEntity(${ANN}) { key }`) })),
  },
  {
    name: '2,000 aliases of searchEvents (4 MB answer amplification)',
    transport: 'graphql',
    request: '{ a0: searchEvents(limit 1000){events{…}} … }',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() =>
      graphqlPost(M(), {
        query: aliases(
          2000,
          'searchEvents(input: {domain: "abuse", limit: 1000}) { events { id claims entity { values } } }',
        ),
      }),
    ),
  },
  {
    name: 'a 3.5 MB document of 300,000 fields',
    transport: 'graphql',
    request: '{ __typename ×300,000 }',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() => graphqlPost(M(), { query: `{ ${'__typename '.repeat(300_000)}}` })),
  },
  {
    name: '2,001 tokens (one over the default 2,000)',
    transport: 'graphql',
    request: '{ __typename ×1,999 }',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() => graphqlPost(M(), { query: `{ ${'__typename '.repeat(1999)}}` })),
  },
  {
    name: '21 directives (one over the default 20)',
    transport: 'graphql',
    request: '{ t0: __typename @include(if: true) … ×21 }',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() =>
      graphqlPost(M(), {
        query: `{ ${Array.from({ length: 21 }, (_, i) => `t${i}: __typename @include(if: true)`).join(' ')} }`,
      }),
    ),
  },
  {
    name: 'a fragment fan-out cost bomb (each fragment spreads the previous twice, 14 levels)',
    transport: 'graphql',
    request: 'query { ...F14 } fragment Fn on Query { ...Fn-1 ...Fn-1 }',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() => {
      const fragments = [`fragment F0 on Query { getEntity(${ANN}) { key values version } }`];
      for (let i = 1; i <= 14; i++) fragments.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
      return graphqlPost(M(), { query: `query { ...F14 } ${fragments.join(' ')}` });
    }),
  },
  {
    name: 'a fragment cycle',
    transport: 'graphql',
    request: 'query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() =>
      graphqlPost(M(), { query: 'query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }' }),
    ),
  },
  {
    name: 'depth 4 over a limit of 3',
    transport: 'graphql',
    request: '{ searchEvents { events { entity { key } } } } (STATEGATE_GRAPHQL_MAX_DEPTH=3)',
    expected: '400 INVALID_ARGUMENT',
    on: () => tight,
    run: badRequest(() =>
      graphqlPost(T(), { query: '{ searchEvents(input: {domain: "abuse", limit: 1}) { events { entity { key } } } }' }),
    ),
  },
  {
    name: '3 aliases over a limit of 2',
    transport: 'graphql',
    request: '{ a: getEntity b: getEntity c: getEntity } (STATEGATE_GRAPHQL_MAX_ALIASES=2)',
    expected: '400 INVALID_ARGUMENT',
    on: () => tight,
    run: badRequest(() => graphqlPost(T(), { query: aliases(3, `getEntity(${ANN}) { key }`) })),
  },
  {
    name: '200 tokens over a limit of 150',
    transport: 'graphql',
    request: '{ __typename ×198 } (STATEGATE_GRAPHQL_MAX_TOKENS=150)',
    expected: '400 INVALID_ARGUMENT',
    on: () => tight,
    run: badRequest(() => graphqlPost(T(), { query: `{ ${'__typename '.repeat(198)}}` })),
  },
  {
    name: '3 directives over a limit of 2',
    transport: 'graphql',
    request: '{ a: __typename @include b: __typename @skip c: … } (STATEGATE_GRAPHQL_MAX_DIRECTIVES=2)',
    expected: '400 INVALID_ARGUMENT',
    on: () => tight,
    run: badRequest(() =>
      graphqlPost(T(), {
        query: '{ a: __typename @include(if: true) b: __typename @skip(if: false) c: __typename @include(if: true) }',
      }),
    ),
  },
  {
    name: 'cost over a limit of 15 (two full getEntity, no alias or depth limit hit)',
    transport: 'graphql',
    request: '{ getEntity{5 fields} x: getEntity{5 fields} } (STATEGATE_GRAPHQL_MAX_COST=15)',
    expected: '400 INVALID_ARGUMENT',
    on: () => tight,
    run: badRequest(() =>
      graphqlPost(T(), {
        query: `{ getEntity(${ANN}) { domain type key values version } x: getEntity(${ANN}) { domain type key values version } }`,
      }),
    ),
  },
  {
    // A control: the limits refuse what is over them, not everything.
    name: 'control: 15 aliases (at the default limit) are served',
    transport: 'graphql',
    request: '{ a0: getEntity … a14 }',
    expected: '200',
    run: async () => {
      const res = await graphqlPost(M(), { query: aliases(15, `getEntity(${ANN}) { key }`) });
      expectOk(res);
      expect((res.json as { data: Record<string, { key: string }> }).data.a14).toEqual({ key: 'ann' });
    },
  },
];

const introspection: AbuseCase[] = [
  {
    name: '__schema when introspection is off',
    transport: 'graphql',
    request: '{ __schema { types { name } } } (STATEGATE_GRAPHQL_INTROSPECTION=false)',
    expected: '400 INVALID_ARGUMENT',
    on: () => tight,
    run: badRequest(() => graphqlPost(T(), { query: '{ __schema { types { name } } }' })),
  },
  {
    name: '__type when introspection is off',
    transport: 'graphql',
    request: '{ __type(name: "Query") { fields { name } } }',
    expected: '400 INVALID_ARGUMENT',
    on: () => tight,
    run: badRequest(() => graphqlPost(T(), { query: '{ __type(name: "Query") { fields { name } } }' })),
  },
  {
    name: '__schema over GET when introspection is off',
    transport: 'graphql',
    request: 'GET ?query={__schema{queryType{name}}}',
    expected: '400 INVALID_ARGUMENT',
    on: () => tight,
    run: badRequest(() => graphqlGet(T(), { query: '{ __schema { queryType { name } } }' })),
  },
  {
    name: '__schema hidden in a fragment when introspection is off',
    transport: 'graphql',
    request: 'query { ...F } fragment F on Query { __schema { types { name } } }',
    expected: '400 INVALID_ARGUMENT',
    on: () => tight,
    run: badRequest(() =>
      graphqlPost(T(), { query: 'query { ...F } fragment F on Query { __schema { types { name } } }' }),
    ),
  },
  {
    // Suggestions name fields of the schema: with introspection off they must not leak it either.
    name: 'a misspelt field gets no "Did you mean" when introspection is off',
    transport: 'graphql',
    request: '{ getEntit }',
    expected: '400 INVALID_ARGUMENT, no suggestion',
    on: () => tight,
    run: async () => {
      const res = await graphqlPost(T(), { query: '{ getEntit }' });
      expectGraphql(res, 400, 'INVALID_ARGUMENT');
      expect(res.text).not.toMatch(/did you mean/i);
    },
  },
  {
    name: 'control: __typename is served when introspection is off',
    transport: 'graphql',
    request: '{ __typename }',
    expected: '200',
    on: () => tight,
    run: async () => {
      const res = await graphqlPost(T(), { query: '{ __typename }' });
      expectOk(res);
      expect(res.json).toEqual({ data: { __typename: 'Query' } });
    },
  },
];

/** The request-error table: every one HTTP 400 INVALID_ARGUMENT. */
const requestErrors: AbuseCase[] = [
  ['a syntax error', '{ getEntity(', { query: '{ getEntity(' }],
  ['an unknown field', '{ nope }', { query: '{ nope }' }],
  ['an empty object', '{}', {}],
  ['a missing query with variables', '{"variables":{}}', { variables: {} }],
  ['a query that is a number', '{"query":5}', { query: 5 }],
  ['a query that is null', '{"query":null}', { query: null }],
  ['variables that are a string', '{"query":…,"variables":"x"}', { query: '{ __typename }', variables: 'x' }],
  ['extensions that are a string', '{"query":…,"extensions":"x"}', { query: '{ __typename }', extensions: 'x' }],
  ['an unknown operationName', 'operationName: "nope"', { query: 'query a { __typename }', operationName: 'nope' }],
  [
    'two operations without operationName',
    'query a{…} query b{…}',
    { query: 'query a { __typename } query b { __typename }' },
  ],
  ['an unknown argument', 'getEntity(input…, bogus: 1)', { query: `{ getEntity(${ANN}, bogus: 1) { key } }` }],
  [
    'a variable of the wrong type',
    '$input: EntityRefInput! = 5',
    { query: 'query ($input: EntityRefInput!) { getEntity(input: $input) { key } }', variables: { input: 5 } },
  ],
  [
    'a required variable missing',
    '$input: EntityRefInput! absent',
    { query: 'query ($input: EntityRefInput!) { getEntity(input: $input) { key } }' },
  ],
  [
    'an unknown input field in a variable',
    'input: {…, bogus: 1}',
    {
      query: 'query ($input: EntityRefInput!) { getEntity(input: $input) { key } }',
      variables: { input: { domain: 'abuse', type: 'user', key: 'ann', bogus: 1 } },
    },
  ],
  [
    'a subscription with two root fields',
    'subscription { a b }',
    {
      query:
        'subscription { a: streamMessages(input: {domain: "x"}) { id } b: streamMessages(input: {domain: "x"}) { id } }',
    },
  ],
  ['an undefined variable used', 'getEntity(input: $nope)', { query: '{ getEntity(input: $nope) { key } }' }],
  ['a fragment on an unknown type', 'fragment F on Nope', { query: 'query { ...F } fragment F on Nope { x }' }],
  [
    'an unused fragment',
    'fragment F on Query {…} unused',
    { query: '{ __typename } fragment F on Query { __typename }' },
  ],
].map(([name, request, body]) => ({
  name: name as string,
  transport: 'graphql' as const,
  request: request as string,
  expected: '400 INVALID_ARGUMENT',
  run: badRequest(() => graphqlPost(M(), body as object)),
}));

requestErrors.push(
  {
    name: 'invalid JSON',
    transport: 'graphql',
    request: '{"query": "{ __typename }"',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() => graphqlPost(M(), '{"query": "{ __typename }"')),
  },
  {
    name: 'a batch of two operations',
    transport: 'graphql',
    request: '[{"query":…},{"query":…}]',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() => graphqlPost(M(), JSON.stringify([{ query: '{ __typename }' }, { query: SET_ANN }]))),
  },
  {
    name: 'an empty batch',
    transport: 'graphql',
    request: '[]',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() => graphqlPost(M(), '[]')),
  },
  {
    name: 'a JSON null body',
    transport: 'graphql',
    request: 'null',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() => graphqlPost(M(), 'null')),
  },
  {
    name: 'an empty JSON body',
    transport: 'graphql',
    request: '(empty, content-type application/json)',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() => graphqlPost(M(), '')),
  },
  {
    name: 'a body that is not UTF-8',
    transport: 'graphql',
    request: 'bytes 7b ff fe 7d',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() => graphqlPost(M(), Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))),
  },
  {
    name: 'truncated JSON (cut mid-string)',
    transport: 'graphql',
    request: '{"query": "mutation { setEn',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() => graphqlPost(M(), '{"query": "mutation { setEn')),
  },
  {
    name: 'a syntax error over GET',
    transport: 'graphql',
    request: 'GET ?query={ getEntity(',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() => graphqlGet(M(), { query: '{ getEntity(' })),
  },
  {
    name: 'GET without a query',
    transport: 'graphql',
    request: 'GET /api/graphql (accept: json)',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() => graphqlGet(M(), {})),
  },
  {
    name: 'GET with variables that are not JSON',
    transport: 'graphql',
    request: 'GET ?query=…&variables={',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() => graphqlGet(M(), { query: '{ __typename }', variables: '{' })),
  },
);

/** 64-bit values: canonical decimal strings or JSON integers only; anything else refused, ann never overwritten. */
const int64: AbuseCase[] = [
  ...['0x1', '0b1', '0o1', ' 1', '1 ', '1e3', '+1', '01', '-0', '', '1.0', '١', '9223372036854775808'].map(
    (value): AbuseCase => ({
      name: `version ${JSON.stringify(value)} in a variable`,
      transport: 'graphql',
      request: `setEntity(version: $v) $v=${JSON.stringify(value)}`,
      expected: '400 INVALID_ARGUMENT',
      run: badRequest(() => graphqlPost(M(), { query: SET_VERSION, variables: { v: value } })),
    }),
  ),
  {
    name: 'version 1.5 (a JSON fraction) in a variable',
    transport: 'graphql',
    request: 'setEntity(version: $v) $v=1.5',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() => graphqlPost(M(), { query: SET_VERSION, variables: { v: 1.5 } })),
  },
  {
    name: 'version "0x1" as a literal',
    transport: 'graphql',
    request: 'setEntity(input: {…, version: "0x1"})',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() =>
      graphqlPost(M(), {
        query:
          'mutation { setEntity(input: {domain: "abuse", type: "user", key: "ann", values: {a: 2}, version: "0x1"}) }',
      }),
    ),
  },
  {
    name: 'at "0x10" on getEntity',
    transport: 'graphql',
    request: 'getEntity(input: {…, at: "0x10"})',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() =>
      graphqlPost(M(), {
        query: '{ getEntity(input: {domain: "abuse", type: "user", key: "ann", at: "0x10"}) { key } }',
      }),
    ),
  },
  {
    name: 'min " 1" on searchEvents',
    transport: 'graphql',
    request: 'searchEvents(input: {…, min: " 1"})',
    expected: '400 INVALID_ARGUMENT',
    run: badRequest(() =>
      graphqlPost(M(), { query: '{ searchEvents(input: {domain: "abuse", limit: 1, min: " 1"}) { events { id } } }' }),
    ),
  },
];

/**
 * Values as plain data: a `__proto__`, `constructor` or `prototype` key is either stored and read back
 * exactly as sent, or refused with INVALID_ARGUMENT — never dropped, never merged into a prototype.
 */
function storedVerbatimOrRefused(key: string, valuesJson: string): AbuseCase {
  return {
    name: `values ${valuesJson}`,
    transport: 'graphql',
    request: `setEntity(values: $v) $v=${valuesJson}`,
    expected: '200 stored verbatim | INVALID_ARGUMENT',
    mayWrite: true,
    run: async () => {
      const body = `{"query": ${JSON.stringify(SET_VALUES)}, "variables": {"k": "${key}", "v": ${valuesJson}}}`;
      const res = await graphqlPost(M(), body);
      const json = res.json as { data?: { setEntity?: boolean } | null };
      if (json?.data?.setEntity !== true) {
        expectGraphql(res, res.status === 200 ? 200 : 400, 'INVALID_ARGUMENT');
        return;
      }
      const got = await graphqlPost(M(), {
        query: `{ getEntity(input: {domain: "abuse", type: "user", key: "${key}"}) { values } }`,
      });
      expectOk(got);
      const stored = JSON.stringify(
        (JSON.parse(got.text) as { data: { getEntity: { values: unknown } } }).data.getEntity.values,
      );
      expect(stored).toEqual(JSON.stringify(JSON.parse(valuesJson)));
    },
  };
}

const hostileJson: AbuseCase[] = [
  {
    name: `values nested 33 deep (STATEGATE_JSON_DEPTH is 32)`,
    transport: 'graphql',
    request: 'setEntity(values: $v) $v={"a":{"a":…33…}}',
    expected: '200 INVALID_ARGUMENT',
    run: badInput(() =>
      graphqlPost(M(), `{"query": ${JSON.stringify(SET_VALUES)}, "variables": {"k": "deep", "v": ${deepJson(33)}}}`),
    ),
  },
  {
    name: 'a body nested 100,000 deep',
    transport: 'graphql',
    request: '{"query":…,"variables":{"v":[[[[…100,000…]]]]}}',
    expected: '400 | 200 INVALID_ARGUMENT',
    run: refused(() =>
      graphqlPost(
        M(),
        `{"query": ${JSON.stringify(SET_VALUES)}, "variables": {"k": "deeper", "v": {"a": ${'['.repeat(100_000)}${']'.repeat(100_000)}}}}`,
      ),
    ),
  },
  storedVerbatimOrRefused('proto1', '{"__proto__": {"polluted": true}, "b": 1}'),
  storedVerbatimOrRefused('proto2', '{"constructor": {"prototype": {"polluted": true}}}'),
  storedVerbatimOrRefused('proto3', '{"a": {"__proto__": {"isAdmin": true}}}'),
  storedVerbatimOrRefused('proto4', '{"prototype": {"polluted": true}, "__proto__": null}'),
  {
    name: '__proto__ in a GraphQL object literal',
    transport: 'graphql',
    request: 'setEntity(input: {…, values: {__proto__: {polluted: true}}})',
    expected: '200 stored verbatim | INVALID_ARGUMENT',
    mayWrite: true,
    run: async () => {
      const res = await graphqlPost(M(), {
        query:
          'mutation { setEntity(input: {domain: "abuse", type: "user", key: "proto5", values: {__proto__: {polluted: true}}}) }',
      });
      const json = res.json as { data?: { setEntity?: boolean } | null };
      if (json?.data?.setEntity !== true) return expectGraphql(res, res.status === 200 ? 200 : 400, 'INVALID_ARGUMENT');
      const got = await graphqlPost(M(), {
        query: '{ getEntity(input: {domain: "abuse", type: "user", key: "proto5"}) { values } }',
      });
      expect(got.text).toContain('{"values":{"__proto__":{"polluted":true}}}');
    },
  },
  {
    name: 'an editEntity merge patch of __proto__',
    transport: 'graphql',
    request: 'editEntity(ann, values: {"__proto__": {"polluted": true}})',
    expected: '200 stored verbatim | INVALID_ARGUMENT',
    mayWrite: true,
    run: async () => {
      const res = await graphqlPost(
        M(),
        `{"query": "mutation ($v: JSON!) { editEntity(input: {domain: \\"abuse\\", type: \\"user\\", key: \\"ann\\", values: $v}) { values } }", "variables": {"v": {"__proto__": {"polluted": true}}}}`,
      );
      const json = res.json as { data?: { editEntity?: unknown } | null };
      if (!json?.data?.editEntity) return expectGraphql(res, res.status === 200 ? 200 : 400, 'INVALID_ARGUMENT');
      expect(res.text).toContain('"__proto__":{"polluted":true}');
    },
  },
  {
    name: 'a number beyond double range in values',
    transport: 'graphql',
    request: 'setEntity(values: $v) $v={"n": 1e400}',
    expected: '400 | 200 INVALID_ARGUMENT',
    run: refused(() =>
      graphqlPost(M(), `{"query": ${JSON.stringify(SET_VALUES)}, "variables": {"k": "huge", "v": {"n": 1e400}}}`),
    ),
  },
  {
    // Names are index keys on every provider; PostgreSQL text cannot even hold NUL. Strictest: refuse.
    name: 'a NUL byte in a key',
    transport: 'graphql',
    request: 'setEntity(key: "a\\u0000b")',
    expected: '200 INVALID_ARGUMENT',
    run: badInput(() => graphqlPost(M(), { query: SET_VALUES, variables: { k: 'a\u0000b', v: { a: 1 } } })),
  },
  {
    // A lone surrogate is no Unicode text: a name must be well-formed (strictest reasonable).
    name: 'a lone surrogate in a key',
    transport: 'graphql',
    request: 'setEntity(key: "\\ud800")',
    expected: '200 INVALID_ARGUMENT',
    run: badInput(() =>
      graphqlPost(M(), `{"query": ${JSON.stringify(SET_VALUES)}, "variables": {"k": "k\\ud800", "v": {"a": 1}}}`),
    ),
  },
  {
    name: 'values that are an array',
    transport: 'graphql',
    request: 'setEntity(values: $v) $v=[1,2]',
    expected: '400 | 200 INVALID_ARGUMENT',
    run: refused(() => graphqlPost(M(), { query: SET_VALUES, variables: { k: 'arr', v: [1, 2] } })),
  },
];

const cases = [...csrf, ...bombs, ...introspection, ...requestErrors, ...int64, ...hostileJson];

catalogue('abuse catalogue: GraphQL over HTTP', cases, { server: () => main });

afterAll(() => {
  // The table's size, for the report.
  process.stdout.write(`abuse-graphql: ${cases.length} cases\n`);
});
