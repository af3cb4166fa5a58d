/**
 * What one GraphQL operation may ask of the server (issue 8): depth, aliases, tokens, directives and cost,
 * each a STATEGATE_GRAPHQL_* variable, refused before anything runs with 400 INVALID_ARGUMENT and a message
 * naming the limit — over HTTP, SSE and graphql-ws alike; and introspection with field suggestions, on by
 * default without auth and off with a JWKS.
 */
import { getIntrospectionQuery } from 'graphql';
import type { Client } from 'graphql-ws';
import { gql, wsClient } from '../support/graphql.js';
import { startJwksServer } from '../support/jwks.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { openStore } from './helpers.js';

const D = 'e2e-graphql-limits';
const get = (key: string, alias = '') =>
  `${alias}getEntity(input: {domain: "${D}", type: "user", key: "${key}"}) { key version }`;
const aliases = (n: number, field: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => `a${i}: ${field(i)}`).join(' ');
/** `__type` is the one recursive shape of the schema: `ofType` nests as deep as asked. */
const nestedType = (depth: number) =>
  `{ __type(name: "Entity") { ${'ofType { '.repeat(depth)}name${' }'.repeat(depth)} } }`;
const DEEP_EVENTS = 'events { id entity { key values } current { values } }';

interface Refusal {
  status: number;
  codes: unknown[];
  message: string;
}

async function post(server: TestServer, query: string, variables?: Record<string, unknown>): Promise<Refusal> {
  const res = await gql(server.httpUrl, query, variables);
  return {
    status: res.status,
    codes: res.errors?.map((e) => e.extensions?.code) ?? [],
    message: res.errors?.[0]?.message ?? '',
  };
}

/** One operation over graphql-ws: the errors of its `error` message, or of its first `next` payload. */
function overWs(
  client: Client,
  query: string,
  variables?: Record<string, unknown>,
): Promise<Refusal & { via: string }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    // Queries and refusals end by themselves (`complete` or `error`): nothing to unsubscribe.
    client.subscribe(
      { query, variables },
      {
        next: (value) => {
          if (settled) return;
          settled = true;
          const errors = value.errors ?? [];
          resolve({
            via: 'next',
            status: 0,
            codes: errors.map((e) => e.extensions?.code),
            message: errors[0]?.message ?? '',
          });
        },
        error: (err) => {
          if (settled) return;
          settled = true;
          if (!Array.isArray(err)) {
            reject(err);
            return;
          }
          const errors = err as Array<{ message: string; extensions?: { code?: string } }>;
          resolve({
            via: 'error',
            status: 0,
            codes: errors.map((e) => e.extensions?.code),
            message: errors[0]?.message ?? '',
          });
        },
        complete: () => {},
      },
    );
  });
}

async function overSse(server: TestServer, query: string): Promise<{ status: number; text: string }> {
  const res = await fetch(server.httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, text: await res.text() };
}

describe('GraphQL operation limits, default configuration', () => {
  let server: TestServer;
  let ws: Client;
  let store: ReturnType<typeof openStore>;
  beforeAll(async () => {
    server = await startTestServer();
    ws = wsClient(server.wsUrl);
    store = openStore(server);
  });
  afterAll(async () => {
    await ws.dispose();
    store.close();
    await server.close();
  });

  const refusals: Array<[string, () => string, RegExp]> = [
    ['depth (STATEGATE_GRAPHQL_MAX_DEPTH=12)', () => nestedType(12), /Query depth limit of 12 exceeded, found 14/],
    [
      'aliases (STATEGATE_GRAPHQL_MAX_ALIASES=15)',
      () => `{ ${aliases(16, (i) => get(`k${i}`))} }`,
      /Aliases limit of 15 exceeded, found 16/,
    ],
    [
      'tokens (STATEGATE_GRAPHQL_MAX_TOKENS=2000)',
      () => `{ ${'__typename '.repeat(2000)} }`,
      /Token limit of 2000 exceeded/,
    ],
    [
      'directives (STATEGATE_GRAPHQL_MAX_DIRECTIVES=20)',
      () => `{ ${'__typename @include(if: true) '.repeat(21)} }`,
      /Directives limit of 20 exceeded, found 21/,
    ],
    [
      'cost (STATEGATE_GRAPHQL_MAX_COST=5000)',
      () => `{ searchEvents(input: {domain: "${D}", type: "user", limit: 1000}) { ${DEEP_EVENTS} } }`,
      /Query cost limit of 5000 exceeded, found 12010/,
    ],
  ];

  it.each(refusals)(
    'refuses %s over HTTP with 400 INVALID_ARGUMENT naming the limit',
    async (_name, query, message) => {
      const res = await post(server, query());
      expect(res).toEqual({ status: 400, codes: ['INVALID_ARGUMENT'], message: expect.stringMatching(message) });
      expect(res.message).not.toMatch(/\n\s+at /); // no stack
    },
  );

  it.each(refusals)(
    'refuses %s over graphql-ws with INVALID_ARGUMENT, the socket staying open',
    async (_name, query, message) => {
      const res = await overWs(ws, query());
      expect(res.codes).toEqual(['INVALID_ARGUMENT']);
      expect(res.message).toMatch(message);
      // The same connection still serves.
      const after = await overWs(ws, '{ __typename }');
      expect(after).toMatchObject({ via: 'next', codes: [] });
    },
  );

  it('refuses a subscription over the limits on SSE (400) and graphql-ws alike', async () => {
    const tooMany = `subscription { streamEvents(input: {domain: "${D}"}) { ${'__typename '.repeat(2000)} } }`;
    const sse = await overSse(server, tooMany);
    expect(sse.status).toBe(400);
    expect(sse.text).toMatch(/Token limit of 2000 exceeded/);
    expect(sse.text).toMatch(/"code":"INVALID_ARGUMENT"/);
    const deep = `subscription { streamEvents(input: {domain: "${D}"}) { ${aliases(16, () => 'id')} } }`;
    expect((await overSse(server, deep)).status).toBe(400);
    expect(await overWs(ws, deep)).toMatchObject({
      codes: ['INVALID_ARGUMENT'],
      message: expect.stringMatching(/Aliases limit/),
    });
  });

  it('stops reading a 3.5 MB document of 300,000 fields at the token limit', async () => {
    const before = store.state();
    const res = await post(server, `{ ${'__typename '.repeat(300_000)} }`);
    expect(res).toMatchObject({
      status: 400,
      codes: ['INVALID_ARGUMENT'],
      message: expect.stringMatching(/Token limit/),
    });
    expect(store.state()).toEqual(before);
  });

  it('refuses 10,000 aliases of getEntity and 2,000 of searchEvents without running any', async () => {
    for (const query of [
      `{ ${aliases(10_000, (i) => get(`k${i}`))} }`,
      `{ ${aliases(2000, () => `searchEvents(input: {domain: "${D}", type: "user", limit: 100}) { events { id } }`)} }`,
    ]) {
      const res = await post(server, query);
      expect(res.status).toBe(400);
      expect(res.codes).toEqual(['INVALID_ARGUMENT']);
    }
    const health = await fetch(`${server.app.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('serves what a client normally asks: a search at the cap of plain entities, 15 aliases, a deep-enough query', async () => {
    const set = await gql(
      server.httpUrl,
      `mutation { setEntity(input: {domain: "${D}", type: "user", key: "ann", values: {n: 1}}) }`,
    );
    expect(set.data).toEqual({ setEntity: true });
    const search = await gql(
      server.httpUrl,
      `query ($n: Int!) { searchEntities(input: {domain: "${D}", type: "user", limit: $n}) { entities { domain type key values version } } }`,
      { n: 1000 },
    );
    expect(search.status).toBe(200);
    expect(search.data).toEqual({ searchEntities: { entities: [expect.objectContaining({ key: 'ann' })] } });
    const events = await gql(
      server.httpUrl,
      `{ searchEvents(input: {domain: "${D}", type: "user", limit: 400}) { ${DEEP_EVENTS} } }`,
    );
    expect(events.status).toBe(200);
    expect(events.errors).toBeUndefined();
    const fifteen = await gql(server.httpUrl, `{ ${aliases(15, () => get('ann'))} }`);
    expect(fifteen.status).toBe(200);
    expect(Object.keys(fifteen.data ?? {})).toHaveLength(15);
    const ten = await gql(server.httpUrl, nestedType(10));
    expect(ten.errors).toBeUndefined();
    expect(ten.status).toBe(200);
    const twenty = await gql(server.httpUrl, `{ ${'__typename @include(if: true) '.repeat(20)} }`);
    expect(twenty.data).toEqual({ __typename: 'Query' });
  });

  it('reads a search limit from variables too, and costs a limit over the cap as the cap', async () => {
    const query = `query ($input: SearchEventOpts!) { searchEvents(input: $input) { ${DEEP_EVENTS} } }`;
    const atCap = await post(server, query, { input: { domain: D, type: 'user', limit: 1_000_000 } });
    expect(atCap).toMatchObject({ status: 400, message: expect.stringMatching(/found 12010/) });
    const small = await gql(server.httpUrl, query, { input: { domain: D, type: 'user', limit: 10 } });
    expect(small.status).toBe(200);
  });

  it('has introspection on without auth: GraphiQL can read the schema within the default limits', async () => {
    const res = await gql(server.httpUrl, '{ __schema { queryType { name } } }');
    expect(res.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    // GraphiQL's own query (graphql-js' getIntrospectionQuery, all options on).
    const full = await gql<{ __schema: { types: { name: string }[] } }>(
      server.httpUrl,
      getIntrospectionQuery({
        descriptions: true,
        directiveIsRepeatable: true,
        schemaDescription: true,
        specifiedByUrl: true,
      }),
    );
    expect(full.errors).toBeUndefined();
    expect(full.data?.__schema.types.map((t) => t.name)).toContain('Entity');
    const suggestion = await gql(server.httpUrl, `{ getEntty(input: {domain: "d", type: "t", key: "k"}) { key } }`);
    expect(suggestion.errors?.[0]?.message).toMatch(/Did you mean "getEntity"/);
  });
});

describe('GraphQL cost: what each operation costs (STATEGATE_GRAPHQL_MAX_COST=1 shows it)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ STATEGATE_GRAPHQL_MAX_COST: '1' });
  });
  afterAll(() => server.close());

  it.each([
    {
      name: 'getEntity with every field',
      cost: 10,
      query: `{ getEntity(input: {domain: "d", type: "t", key: "k"}) { domain type key values version } }`,
    },
    {
      name: 'setEntity',
      cost: 10,
      query: `mutation { setEntity(input: {domain: "d", type: "t", key: "k", values: {}}) }`,
    },
    {
      name: 'two aliased getEntity',
      cost: 20,
      query: `{ ${aliases(2, () => 'getEntity(input: {domain: "d", type: "t", key: "k"}) { key }')} }`,
    },
    {
      name: 'a search of 1000 entities',
      cost: 1010,
      query: `{ searchEntities(input: {domain: "d", type: "t", limit: 1000}) { entities { key values } } }`,
    },
    {
      name: 'a search of 10 events with their current state',
      cost: 130,
      query: `{ searchEvents(input: {domain: "d", type: "t", limit: 10}) { ${DEEP_EVENTS} } }`,
    },
    {
      name: 'a subscription of events',
      cost: 21,
      query: `subscription { streamEvents(input: {}) { id entity { key } current { key } } }`,
    },
  ])('$name costs $cost', async ({ cost, query }) => {
    const res = await post(server, query);
    expect(res.status).toBe(400);
    expect(res.message).toMatch(/^Query cost limit of 1 exceeded, found \d+ /);
    expect(Number(/found (\d+)/.exec(res.message)?.[1])).toBe(cost);
  });
});

describe('GraphQL cost bounds aliases even when the alias and token limits are raised', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ STATEGATE_GRAPHQL_MAX_ALIASES: '10000', STATEGATE_GRAPHQL_MAX_TOKENS: '1000000' });
  });
  afterAll(() => server.close());

  it('refuses 2,000 aliases of a one-event searchEvents and 10,000 of getEntity by cost', async () => {
    const searches = await post(
      server,
      `{ ${aliases(2000, () => `searchEvents(input: {domain: "${D}", type: "user", limit: 1}) { events { id } }`)} }`,
    );
    expect(searches).toMatchObject({
      status: 400,
      codes: ['INVALID_ARGUMENT'],
      message: expect.stringMatching(/found 22000/),
    });
    const gets = await post(server, `{ ${aliases(10_000, (i) => get(`k${i}`))} }`);
    expect(gets).toMatchObject({
      status: 400,
      message: expect.stringMatching(/Query cost limit of 5000 exceeded, found 100000/),
    });
  });
});

describe('GraphQL introspection off (STATEGATE_GRAPHQL_INTROSPECTION=false)', () => {
  let server: TestServer;
  let ws: Client;
  beforeAll(async () => {
    server = await startTestServer({ STATEGATE_GRAPHQL_INTROSPECTION: 'false' });
    ws = wsClient(server.wsUrl);
  });
  afterAll(async () => {
    await ws.dispose();
    await server.close();
  });

  it.each([
    '{ __schema { queryType { name } } }',
    '{ __type(name: "Entity") { name } }',
    'query { e: __schema { types { name } } }',
  ])('refuses %s with 400 INVALID_ARGUMENT, on HTTP and graphql-ws', async (query) => {
    const res = await post(server, query);
    expect(res.status).toBe(400);
    expect(new Set(res.codes)).toEqual(new Set(['INVALID_ARGUMENT']));
    expect(res.message).toMatch(/introspection has been disabled/);
    expect(await overWs(ws, query)).toMatchObject({ via: 'error', message: expect.stringMatching(/introspection/) });
  });

  it('still answers __typename', async () => {
    expect((await gql(server.httpUrl, '{ __typename }')).data).toEqual({ __typename: 'Query' });
  });

  it('removes "Did you mean" from validation and variable errors', async () => {
    const field = await post(server, `{ getEntty(input: {domain: "d", type: "t", key: "k"}) { key } }`);
    expect(field).toEqual({
      status: 400,
      codes: ['INVALID_ARGUMENT'],
      message: 'Cannot query field "getEntty" on type "Query".',
    });
    const variable = await post(server, 'query ($i: EntityRefInput!) { getEntity(input: $i) { key } }', {
      i: { domain: 'd', type: 't', key: 'k', verson: 1 },
    });
    expect(variable.status).toBe(400);
    expect(variable.message).toMatch(/Field "verson" is not defined by type "EntityRefInput"/);
    expect(variable.message).not.toMatch(/Did you mean/);
    const overSocket = await overWs(ws, `{ getEntity(input: {domain: "d", type: "t", key: "k"}) { nam } }`);
    expect(overSocket.message).toBe('Cannot query field "nam" on type "Entity".');
  });

  it('still serves GraphiQL (which then cannot load the schema)', async () => {
    const res = await fetch(server.httpUrl, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('GraphiQL');
  });
});

describe('GraphQL introspection is off by default when a JWKS is configured', () => {
  it('refuses __schema before authentication, with 400 INVALID_ARGUMENT', async () => {
    const jwks = await startJwksServer();
    const server = await startTestServer({ STATEGATE_JWKS_URI: jwks.url });
    try {
      const res = await post(server, '{ __schema { queryType { name } } }');
      expect(res.status).toBe(400);
      expect(res.message).toMatch(/introspection has been disabled/);
      const token = await jwks.sign({ sub: 'alice' });
      const authed = await gql(server.httpUrl, '{ __schema { queryType { name } } }', undefined, {
        authorization: `Bearer ${token}`,
      });
      expect(authed.status).toBe(400);
    } finally {
      await server.close();
      await jwks.close();
    }
  });
});
