/**
 * REST against a real server: every route of the proto's http rules, success and error, as a table of
 * scenarios run in order (method, path, headers, body → status and body). Each scenario may read values
 * an earlier one saved (an event id, a lease token).
 */
import { randomUUID } from 'node:crypto';
import { rest } from '../support/rest.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { UUID_V4, uid } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

type Vars = Record<string, string>;
/** The parts of answers that scenarios save. */
type Saved = { events: Array<{ id: string; position: string }>; token: string };

interface Scenario {
  name: string;
  method: string;
  path: string | ((v: Vars) => string);
  headers?: Record<string, string>;
  body?: unknown | ((v: Vars) => unknown);
  status: number;
  /** Matched with toEqual (use expect.any / expect.objectContaining where values vary). */
  expect?: unknown | ((v: Vars) => unknown);
  /** Saves values of the answer for later scenarios. */
  save?: (body: Saved, v: Vars) => void;
}

const D = uid('rest');
const E = `/api/entity/ref/${D}/user`;
const future = new Date(Date.now() + 3_600_000).toISOString();
const error = (code: number, message: unknown = expect.any(String)) => ({ code, message, details: [] });

const scenarios: Scenario[] = [
  // EntityService
  {
    name: 'Set creates an entity; Empty is {}',
    method: 'POST',
    path: `${E}/alice`,
    body: { values: { name: 'Alice', age: 30 } },
    status: 200,
    expect: {},
  },
  {
    name: 'Set with version -1 on an existing entity is ABORTED (409)',
    method: 'POST',
    path: `${E}/alice`,
    body: { values: { name: 'Mallory' }, version: '-1' },
    status: 409,
    expect: error(10),
  },
  {
    name: 'Get returns the current state with its version as an int64 string',
    method: 'GET',
    path: `${E}/alice`,
    status: 200,
    expect: { domain: D, type: 'user', key: 'alice', values: { name: 'Alice', age: 30 }, version: '1' },
  },
  {
    name: 'Edit merges (null removes a key) and returns the new state',
    method: 'PATCH',
    path: `${E}/alice`,
    body: { values: { age: 31, name: null, tags: ['a'] }, version: 1 },
    status: 200,
    expect: { domain: D, type: 'user', key: 'alice', values: { age: 31, tags: ['a'] }, version: '2' },
  },
  {
    name: 'Edit of a missing entity is NOT_FOUND',
    method: 'PATCH',
    path: `${E}/nobody`,
    body: { values: { a: 1 } },
    status: 404,
    expect: error(5),
  },
  {
    name: 'Get ?version=1 reads that version from the log',
    method: 'GET',
    path: `${E}/alice?version=1`,
    status: 200,
    expect: expect.objectContaining({ values: { name: 'Alice', age: 30 }, version: '1' }),
  },
  {
    name: 'Get with version and at together is INVALID_ARGUMENT',
    method: 'GET',
    path: `${E}/alice?version=1&at=5`,
    status: 400,
    expect: error(3),
  },
  {
    name: 'the path wins over the same fields in the body',
    method: 'POST',
    path: `${E}/carol`,
    body: { domain: 'elsewhere', key: 'zed', values: { name: 'Carol', age: 40 } },
    status: 200,
    expect: {},
  },
  {
    name: 'a percent-encoded key is decoded (%2F does not split the path)',
    method: 'POST',
    path: `${E}/dan%2Fsmith%40example.com`,
    body: { values: { name: 'Dan', age: 50 } },
    status: 200,
    expect: {},
  },
  {
    name: '… and reads back under the decoded key',
    method: 'GET',
    path: `${E}/dan%2Fsmith%40example.com`,
    status: 200,
    expect: expect.objectContaining({ key: 'dan/smith@example.com' }),
  },
  {
    name: 'Search with query_string, sort.field, sort.reverse and limit',
    method: 'GET',
    path: `/api/entity/search?domain=${D}&type=user&limit=10&query_string=${encodeURIComponent('{"age":{"$gte":31}}')}&sort.field=age&sort.reverse=true`,
    status: 200,
    expect: {
      entities: [
        expect.objectContaining({ key: 'dan/smith@example.com' }),
        expect.objectContaining({ key: 'carol', domain: D }),
        expect.objectContaining({ key: 'alice' }),
      ],
    },
  },
  {
    name: 'Search takes camelCase names too (queryString) and offset',
    method: 'GET',
    path: `/api/entity/search?domain=${D}&type=user&limit=1&offset=1&queryString=${encodeURIComponent('{"age":{"$gte":31}}')}&sort.field=age`,
    status: 200,
    expect: { entities: [expect.objectContaining({ key: 'carol' })] },
  },
  {
    name: 'Search with nothing found answers {} (protojson leaves out empty lists)',
    method: 'GET',
    path: `/api/entity/search?domain=${D}&type=nothing&limit=10`,
    status: 200,
    expect: {},
  },
  {
    name: 'Search without a limit is INVALID_ARGUMENT (core)',
    method: 'GET',
    path: `/api/entity/search?domain=${D}&type=user`,
    status: 400,
    expect: error(3),
  },
  {
    name: 'Search with a forbidden operator is INVALID_ARGUMENT',
    method: 'GET',
    path: `/api/entity/search?domain=${D}&type=user&limit=1&query_string=${encodeURIComponent('{"$where":"1"}')}`,
    status: 400,
    expect: error(3),
  },
  // EventService
  {
    name: 'Events search: every event recorded the gRPC method name, whatever the transport',
    method: 'GET',
    path: `/api/events/search?domain=${D}&type=user&limit=10&query_string=${encodeURIComponent('{"entity.key":"alice"}')}&sort.field=position`,
    status: 200,
    expect: {
      events: [
        expect.objectContaining({
          method: '/stategate.EntityService/Set',
          entity: expect.objectContaining({ version: '1' }),
        }),
        expect.objectContaining({
          method: '/stategate.EntityService/Edit',
          entity: expect.objectContaining({ version: '2' }),
        }),
      ],
    },
    save: (body, v) => {
      const [first] = body.events;
      v.firstEvent = first?.id ?? '';
      v.firstPosition = first?.position ?? '';
    },
  },
  {
    name: 'Events search with after pages by position',
    method: 'GET',
    path: (v) =>
      `/api/events/search?domain=${D}&type=user&limit=10&after=${v.firstPosition}&query_string=${encodeURIComponent('{"entity.key":"alice"}')}`,
    status: 200,
    expect: { events: [expect.objectContaining({ method: '/stategate.EntityService/Edit' })] },
  },
  {
    name: 'Event get',
    method: 'GET',
    path: (v) => `/api/events/ref/${D}/user/alice/${v.firstEvent}`,
    status: 200,
    expect: (v: Vars) => ({
      id: v.firstEvent,
      entity: { domain: D, type: 'user', key: 'alice', values: { name: 'Alice', age: 30 }, version: '1' },
      claims: {},
      time: expect.stringMatching(/^\d+$/),
      method: '/stategate.EntityService/Set',
      position: v.firstPosition,
    }),
  },
  {
    name: "Event get of another entity's event is NOT_FOUND",
    method: 'GET',
    path: (v) => `/api/events/ref/${D}/user/carol/${v.firstEvent}`,
    status: 404,
    expect: error(5),
  },
  {
    name: 'Event get with an id that is no uuid is INVALID_ARGUMENT',
    method: 'GET',
    path: `/api/events/ref/${D}/user/alice/not-a-uuid`,
    status: 400,
    expect: error(3),
  },
  {
    name: 'Revert sets the entity back to an event of its own (PUT, id in the body)',
    method: 'PUT',
    path: `${E}/alice/revert`,
    body: (v: Vars) => ({ id: v.firstEvent }),
    status: 200,
    expect: { domain: D, type: 'user', key: 'alice', values: { name: 'Alice', age: 30 }, version: '3' },
  },
  {
    name: 'Revert to an unknown event is NOT_FOUND',
    method: 'PUT',
    path: `${E}/alice/revert`,
    body: { id: randomUUID() },
    status: 404,
    expect: error(5),
  },
  {
    name: 'the revert event records …/Revert',
    method: 'GET',
    path: `/api/events/search?domain=${D}&type=user&limit=1&query_string=${encodeURIComponent('{"entity.key":"alice"}')}&sort.field=position&sort.reverse=true`,
    status: 200,
    expect: { events: [expect.objectContaining({ method: '/stategate.EntityService/Revert' })] },
  },
  {
    name: 'Del with a stale version precondition is ABORTED',
    method: 'DELETE',
    path: `${E}/alice?version=1`,
    status: 409,
    expect: error(10),
  },
  {
    name: 'Del with the current version',
    method: 'DELETE',
    path: `${E}/alice?version=3`,
    status: 200,
    expect: {},
  },
  { name: 'Get after Del is NOT_FOUND', method: 'GET', path: `${E}/alice`, status: 404, expect: error(5) },
  // PeerService
  {
    name: 'Broadcast',
    method: 'POST',
    path: '/api/peers/broadcast',
    body: { domain: D, channel: 'general', type: 'comment', body: { text: 'hi' } },
    status: 200,
    expect: {},
  },
  {
    name: 'Broadcast without a body object is INVALID_ARGUMENT',
    method: 'POST',
    path: '/api/peers/broadcast',
    body: { domain: D, channel: 'general', type: 'comment' },
    status: 400,
    expect: error(3),
  },
  // CacheService
  {
    name: 'Cache set (any JSON value, an RFC 3339 exp)',
    method: 'PUT',
    path: `/api/cache/ref/${D}/greeting`,
    body: { value: { hello: ['world', 1, true, null] }, exp: future },
    status: 200,
    expect: {},
  },
  {
    name: 'Cache get',
    method: 'GET',
    path: `/api/cache/ref/${D}/greeting`,
    status: 200,
    expect: { domain: D, key: 'greeting', value: { hello: ['world', 1, true, null] }, exp: expect.any(String) },
  },
  {
    name: 'Cache set of a number without exp',
    method: 'PUT',
    path: `/api/cache/ref/${D}/n`,
    body: { value: 1 },
    status: 200,
    expect: {},
  },
  {
    name: 'Cache set with exp in the past is INVALID_ARGUMENT',
    method: 'PUT',
    path: `/api/cache/ref/${D}/old`,
    body: { value: 1, exp: '2001-01-01T00:00:00Z' },
    status: 400,
    expect: error(3),
  },
  { name: 'Cache del', method: 'DELETE', path: `/api/cache/ref/${D}/greeting`, status: 200, expect: {} },
  {
    name: 'Cache get after del is NOT_FOUND',
    method: 'GET',
    path: `/api/cache/ref/${D}/greeting`,
    status: 404,
    expect: error(5),
  },
  // MutexService
  {
    name: 'Lock answers the lease',
    method: 'POST',
    path: `/api/mutex/ref/${D}/door/lock`,
    body: { exp: future },
    status: 200,
    expect: { domain: D, key: 'door', exp: expect.any(String), token: expect.any(String), fencing: '1' },
    save: (body, v) => {
      v.token = body.token;
    },
  },
  {
    name: 'Lock while held is ALREADY_EXISTS (409)',
    method: 'POST',
    path: `/api/mutex/ref/${D}/door/lock`,
    status: 409,
    expect: error(6),
  },
  {
    name: "Unlock with another lease's token is FAILED_PRECONDITION (400)",
    method: 'POST',
    path: `/api/mutex/ref/${D}/door/unlock`,
    body: { token: 'not-the-token' },
    status: 400,
    expect: error(9),
  },
  {
    name: 'Unlock with the token',
    method: 'POST',
    path: `/api/mutex/ref/${D}/door/unlock`,
    body: (v: Vars) => ({ token: v.token }),
    status: 200,
    expect: {},
  },
  {
    name: 'Lock with no body at all (default lease); fencing rises',
    method: 'POST',
    path: `/api/mutex/ref/${D}/door/lock`,
    status: 200,
    expect: expect.objectContaining({ fencing: '2' }),
  },
  {
    name: 'Unlock with an empty body and no content-type',
    method: 'POST',
    path: `/api/mutex/ref/${D}/door/unlock`,
    status: 200,
    expect: {},
  },
  // Routing
  {
    name: 'an unknown /api path is a JSON 404',
    method: 'GET',
    path: '/api/nothing/here',
    status: 404,
    expect: error(5),
  },
  {
    name: 'a known path with another verb is 405 with Allow',
    method: 'PUT',
    path: '/api/entity/search',
    status: 405,
    expect: error(12),
  },
  {
    name: 'GraphQL still answers at /api/graphql beside REST',
    method: 'POST',
    path: '/api/graphql',
    body: { query: `{ getCache(input: {domain: "${D}", key: "n"}) { value } }` },
    status: 200,
    expect: { data: { getCache: { value: 1 } } },
  },
  { name: 'paths outside /api are still 404', method: 'GET', path: '/nothing', status: 404, expect: error(5) },
];

describe('REST routes (scenario table, in order)', () => {
  const vars: Vars = {};
  it.each(scenarios.map((s) => [s.name, s] as const))('%s', async (_name, s) => {
    const path = typeof s.path === 'function' ? s.path(vars) : s.path;
    const body = typeof s.body === 'function' ? (s.body as (v: Vars) => unknown)(vars) : s.body;
    const res = await rest(server.app.url, path, { method: s.method, headers: s.headers, body });
    expect({ status: res.status, body: res.body }).toEqual({
      status: s.status,
      body: typeof s.expect === 'function' ? (s.expect as (v: Vars) => unknown)(vars) : s.expect,
    });
    expect(res.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
    s.save?.(res.body as Saved, vars);
  });
});

describe('REST details', () => {
  it('405 names the verbs the path takes', async () => {
    const res = await rest(server.app.url, `${E}/x/revert`, { method: 'GET' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('PUT');
  });

  it('events of a REST Set record /stategate.EntityService/Set and a uuid v4 id', async () => {
    const key = uid('k');
    expect((await rest(server.app.url, `${E}/${key}`, { method: 'POST', body: { values: { a: 1 } } })).status).toBe(
      200,
    );
    const res = await rest(
      server.app.url,
      `/api/events/search?domain=${D}&type=user&limit=5&query_string=${encodeURIComponent(JSON.stringify({ 'entity.key': key }))}`,
    );
    expect(res.body).toEqual({
      events: [
        {
          id: expect.stringMatching(UUID_V4),
          entity: { domain: D, type: 'user', key, values: { a: 1 }, version: '1' },
          claims: {},
          time: expect.stringMatching(/^\d+$/),
          method: '/stategate.EntityService/Set',
          position: expect.stringMatching(/^\d+$/),
        },
      ],
    });
  });
});
