import { Client, fetchExchange } from '@urql/core';
import { print } from 'graphql';
import { StategateError } from '../../src/core/errors.js';
import { createGraphqlServer, type GraphqlServer } from '../../src/server/graphql.js';
import {
  GetCacheDocument,
  GetEntityDocument,
  LockMutexDocument,
  SearchEventsWithCurrentDocument,
  type SearchEventsWithCurrentQuery,
  SeedSetEntityDocument,
} from '../generated/graphql.js';
import { createFakeApi, type FakeApi } from './support/fake-api.js';

function recordingLogger() {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => lines.push({ level, obj, msg });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

interface Response {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

describe('GraphQL over HTTP (in process, fake core)', () => {
  let fake: FakeApi;
  let server: GraphqlServer;
  let log: ReturnType<typeof recordingLogger>;

  beforeEach(() => {
    fake = createFakeApi();
    log = recordingLogger();
    server = createGraphqlServer({ api: fake.api, logger: log.logger });
  });

  async function post(query: string, variables?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const res = await server.yoga.fetch('http://localhost/api/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, body: (await res.json()) as Response['body'] };
  }

  const code = (res: Response) => res.body.errors?.[0]?.extensions?.code;

  it("runs the seed's sample mutation as written and answers true", async () => {
    const res = await post(
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
      undefined,
      { Authorization: 'Bearer t0k3n', 'X-Request-Id': 'r1' },
    );
    expect(res).toEqual({ status: 200, body: { data: { setEntity: true } } });
    const [call] = fake.callsOf('entities.set');
    expect(call?.input).toEqual({
      domain: 'accounting',
      type: 'user',
      key: 'coleman.word@example.com',
      values: { first_name: 'Coleman', last_name: 'Word' },
    });
    expect(call?.ctx).toMatchObject({
      transport: 'graphql',
      authorization: 'Bearer t0k3n',
      metadata: { authorization: 'Bearer t0k3n', 'x-request-id': 'r1' },
    });
  });

  it('reads JSON literals with variables nested anywhere inside', async () => {
    const res = await post(
      `mutation($name: String, $n: Int64) {
        setEntity(input: { domain: "d", type: "t", key: "k", version: $n,
          values: { name: $name, list: [1, 2.5, $name, { deep: $name }], none: null, ok: true } })
      }`,
      { name: 'Nina', n: '-1' },
    );
    expect(res.body).toEqual({ data: { setEntity: true } });
    expect(fake.callsOf('entities.set')[0]?.input).toEqual({
      domain: 'd',
      type: 't',
      key: 'k',
      version: -1,
      values: { name: 'Nina', list: [1, 2.5, 'Nina', { deep: 'Nina' }], none: null, ok: true },
    });
  });

  it('serializes Int64 as decimal strings and takes Int or string input, exactly', async () => {
    await post(`mutation { setEntity(input: { domain: "d", type: "t", key: "k", values: { a: 1 } }) }`);
    const res = await post(
      `query($min: Int64) { searchEvents(input: { domain: "d", type: "t", limit: 10, min: $min, max: 9223372036854775807, after: "3" }) {
        events { time position entity { version } } } }`,
      { min: '1700000000000000001' },
    );
    expect(res.body.data).toEqual({
      searchEvents: {
        events: [{ time: expect.stringMatching(/^17\d{17}$/), position: '2', entity: { version: '1' } }],
      },
    });
    expect(fake.callsOf('events.search')[0]?.input).toMatchObject({
      min: 1_700_000_000_000_000_001n,
      max: 9_223_372_036_854_775_807n,
      after: 3,
    });
  });

  it.each([
    ['a float literal', '{ getEntity(input: { domain: "d", type: "t", key: "k", at: 1.5 }) { key } }', undefined],
    [
      'an out-of-range literal',
      '{ getEntity(input: { domain: "d", type: "t", key: "k", at: "9223372036854775808" }) { key } }',
      undefined,
    ],
    [
      'a non-decimal string',
      'query($at: Int64) { getEntity(input: { domain: "d", type: "t", key: "k", at: $at }) { key } }',
      { at: '12abc' },
    ],
    [
      'an inexact JSON number',
      'query($at: Int64) { getEntity(input: { domain: "d", type: "t", key: "k", at: $at }) { key } }',
      { at: 2 ** 60 },
    ],
    [
      'a fractional number',
      'query($at: Int64) { getEntity(input: { domain: "d", type: "t", key: "k", at: $at }) { key } }',
      { at: 0.5 },
    ],
    [
      'a version beyond 2^53',
      '{ getEntity(input: { domain: "d", type: "t", key: "k", version: "9007199254740993" }) { key } }',
      undefined,
    ],
    [
      'a bad DateTime',
      'mutation { lockMutex(input: { domain: "d", key: "k", exp: "tomorrow" }) { token } }',
      undefined,
    ],
    [
      'an unquoted JSON string',
      'mutation { setEntity(input: { domain: "d", type: "t", key: "k", values: { a: B } }) }',
      undefined,
    ],
  ])('rejects %s as INVALID_ARGUMENT, never a 5xx, without calling core', async (_name, query, variables) => {
    const res = await post(query, variables);
    expect(res.status).toBeLessThan(500);
    expect(code(res)).toBe('INVALID_ARGUMENT');
    expect(fake.calls.filter((c) => c.method !== 'entities.getMany')).toEqual([]);
  });

  it.each([
    ['a syntax error', '{ getEntity(input: {'],
    ['an unknown field', '{ getEntity(input: { domain: "d", type: "t", key: "k" }) { nope } }'],
    ['a required field left out', 'mutation { setEntity(input: { domain: "d", type: "t", key: "k" }) }'],
  ])("gives GraphQL's own request errors (%s) INVALID_ARGUMENT", async (_name, query) => {
    const res = await post(query);
    expect(res.status).toBe(400);
    expect(code(res)).toBe('INVALID_ARGUMENT');
    expect(fake.calls).toEqual([]);
  });

  it('rejects impossible DateTimes and takes real ones in any offset', async () => {
    const lock = (exp: string) =>
      post('mutation($exp: DateTime) { lockMutex(input: { domain: "d", key: "k", exp: $exp }) { exp } }', { exp });
    for (const exp of [
      '2099-02-31T00:00:00Z',
      '2099-02-29T00:00:00Z',
      '2030-13-01T00:00:00Z',
      '2030-01-01T24:00:00Z',
      '0000-01-01T00:00:00Z',
      '2030-01-01T00:00:00+24:00',
    ]) {
      expect([exp, code(await lock(exp))]).toEqual([exp, 'INVALID_ARGUMENT']);
    }
    expect((await lock('2028-02-29T23:59:59.123456789+02:00')).body.data).toEqual({
      lockMutex: { exp: '2028-02-29T21:59:59.123Z' },
    });
    expect(fake.callsOf('mutex.lock')).toHaveLength(1);
  });

  it('stores a null cache value, and refuses a missing one', async () => {
    const set = await post('mutation { setCache(input: { domain: "d", key: "k", value: null }) }');
    expect(set.body).toEqual({ data: { setCache: true } });
    expect(fake.callsOf('cache.set')[0]?.input).toEqual({ domain: 'd', key: 'k', value: null });
    const missing = await post('mutation { setCache(input: { domain: "d", key: "k" }) }');
    expect(code(missing)).toBe('INVALID_ARGUMENT');
    expect(fake.callsOf('cache.set')).toHaveLength(1);
  });

  it("gives a subscription's bad variables the codes a query's get", async () => {
    const subscribe = (variables: unknown) =>
      post('subscription($input: StreamEventOpts!) { streamEvents(input: $input) { id } }', variables);
    for (const after of ['latest', 1.5, '9223372036854775808']) {
      const res = await subscribe({ input: { after } });
      expect(res.status).toBe(400);
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['INVALID_ARGUMENT']);
    }
    const missing = await subscribe({});
    expect(missing.status).toBe(400);
    // GraphQL's own coercion error (a required input left out) is bad input too.
    expect(missing.body.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
    expect(fake.callsOf('events.stream')).toEqual([]);
  });

  it('turns StategateErrors into extensions.code with their message', async () => {
    const missing = await post('{ getEntity(input: { domain: "d", type: "t", key: "nope" }) { key } }');
    expect(missing.status).toBe(200);
    expect(missing.body.errors?.[0]).toMatchObject({
      message: 'entity not found',
      path: ['getEntity'],
      extensions: { code: 'NOT_FOUND' },
    });
    fake.failNext(new StategateError('ABORTED', 'version 3 expected, found 4'));
    const conflict = await post('mutation { setEntity(input: { domain: "d", type: "t", key: "k", values: {} }) }');
    expect(conflict.body.errors?.[0]).toMatchObject({
      message: 'version 3 expected, found 4',
      extensions: { code: 'ABORTED' },
    });
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('masks unexpected errors (and INTERNAL) and logs them whole', async () => {
    const boom = new Error('connection refused: postgres://user:secret@db');
    fake.failNext(boom);
    const res = await post('{ getEntity(input: { domain: "d", type: "t", key: "k" }) { key } }');
    expect(res.status).toBeLessThan(500);
    expect(res.body.errors).toEqual([
      expect.objectContaining({ message: 'internal error', extensions: { code: 'INTERNAL' } }),
    ]);
    expect(JSON.stringify(res.body)).not.toContain('secret');
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: 'error', obj: expect.objectContaining({ err: boom }) }),
    );

    const internal = new StategateError('INTERNAL', 'disk full on /var/lib', { cause: boom });
    fake.failNext(internal);
    const res2 = await post('mutation { delCache(input: { domain: "d", key: "k" }) }');
    expect(res2.body.errors?.[0]).toMatchObject({ message: 'internal error', extensions: { code: 'INTERNAL' } });
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: 'error', obj: expect.objectContaining({ err: internal }) }),
    );
  });

  it("keeps GraphQL's own parse and validation errors", async () => {
    const syntax = await post('{ getEntity(');
    expect(syntax.status).toBe(400);
    expect(syntax.body.errors?.[0]?.message).toMatch(/Syntax Error/);
    const unknown = await post('{ nope }');
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors?.[0]?.message).toMatch(/Cannot query field "nope"/);
  });

  it('batches the current entity of N listed events into one getMany', async () => {
    for (const key of ['a', 'b', 'c', 'b']) {
      await post(`mutation { setEntity(input: { domain: "d", type: "t", key: "${key}", values: {} }) }`);
    }
    const res = await post(print(SearchEventsWithCurrentDocument), { input: { domain: 'd', type: 't', limit: 10 } });
    const data = res.body.data as SearchEventsWithCurrentQuery;
    expect(data.searchEvents.events.map((e) => [e.entity.key, e.current?.version])).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '1'],
    ]);
    expect(fake.callsOf('entities.getMany')).toHaveLength(1);
    expect(fake.callsOf('entities.getMany')[0]?.input).toHaveLength(3);
  });

  it('works for a typed urql client with the generated documents', async () => {
    const client = new Client({
      url: 'http://localhost/api/graphql',
      exchanges: [fetchExchange],
      fetch: (input, init) => Promise.resolve(server.yoga.fetch(String(input), init ?? {})),
    });
    expect((await client.mutation(SeedSetEntityDocument, {}).toPromise()).data?.setEntity).toBe(true);
    const got = await client
      .query(GetEntityDocument, { input: { domain: 'accounting', type: 'user', key: 'coleman.word@example.com' } })
      .toPromise();
    expect(got.data?.getEntity).toEqual({
      domain: 'accounting',
      type: 'user',
      key: 'coleman.word@example.com',
      values: { first_name: 'Coleman', last_name: 'Word' },
      version: '1',
    });
    const lease = await client
      .mutation(LockMutexDocument, { input: { domain: 'd', key: 'k', exp: '2031-02-03T04:05:06.789Z' } })
      .toPromise();
    expect(lease.data?.lockMutex).toEqual({
      domain: 'd',
      key: 'k',
      exp: '2031-02-03T04:05:06.789Z',
      token: 'tok',
      fencing: '7',
    });
    expect(fake.callsOf('mutex.lock')[0]?.input).toEqual({
      domain: 'd',
      key: 'k',
      exp: new Date('2031-02-03T04:05:06.789Z'),
    });
    const cache = await client.query(GetCacheDocument, { input: { domain: 'd', key: 'nope' } }).toPromise();
    expect(cache.error?.graphQLErrors[0]?.extensions.code).toBe('NOT_FOUND');
  });

  it('serves GraphiQL to a browser, opening with the seed mutation', async () => {
    const res = await server.yoga.fetch('http://localhost/api/graphql', { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('GraphiQL');
    expect(html).toContain('coleman.word@example.com');
  });

  it("never answers CORS itself, even when given origins: CORS is the port's (src/server/app.ts)", async () => {
    const cors = createGraphqlServer({
      api: fake.api,
      logger: log.logger,
      cors: { origins: ['https://app.example'], methods: ['POST', 'GET'], headers: ['*'] },
    });
    const preflight = await cors.yoga.fetch('http://localhost/api/graphql', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const post = await cors.yoga.fetch('http://localhost/api/graphql', {
      method: 'POST',
      headers: { origin: 'https://app.example', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(post.status).toBe(200);
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
  });
});
