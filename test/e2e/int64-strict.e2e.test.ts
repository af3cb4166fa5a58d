/**
 * Integers are canonical on every transport (issue 8): a 64-bit field or an int32 `limit`/`offset` takes a
 * safe-integer JSON number or a canonical decimal string, nothing a lenient parser would also read as a
 * number ("0x1" once overwrote version 1 of an entity). Each bad form is refused with INVALID_ARGUMENT on
 * GraphQL (literals and variables), REST (query parameters and JSON bodies) and Connect JSON, and changes no
 * state; canonical forms (incl. the "-1" precondition and int64's extremes) still work.
 */
import { gql } from '../support/graphql.js';
import { rest } from '../support/rest.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { api, openStore, Q } from './helpers.js';

const D = 'e2e-int64';
const INT64_MAX = '9223372036854775807';
const INT64_MIN = '-9223372036854775808';

/** Strings BigInt() or Number() read as 1 (or 0), each refused. */
const BAD_STRINGS = ['0x1', '0b1', '0o1', ' 1', '1 ', '+1', '01', '1e0', '1.0', '-0', ''];
/** JSON numbers that are no exact integer. */
const BAD_NUMBERS = [1.5, 2 ** 53, -(2 ** 60)];

let server: TestServer;
let store: ReturnType<typeof openStore>;
const a = () => api(server.httpUrl);

beforeAll(async () => {
  server = await startTestServer();
  store = openStore(server);
  // Version 1 exists: a version "0x1" read leniently would match it and overwrite the entity.
  expect((await a().set({ domain: D, type: 'user', key: 'ann', values: { v: 1 } })).data).toEqual({ setEntity: true });
});
afterAll(async () => {
  store.close();
  await server.close();
});

/** Runs `attempts`, then asserts the store is exactly as before. */
async function withoutStateChange(attempts: () => Promise<void>): Promise<void> {
  const before = store.state();
  await attempts();
  expect(store.state()).toEqual(before);
}

describe('GraphQL Int64 and Int', () => {
  it.each(BAD_STRINGS)('refuses version %j as a literal with 400 INVALID_ARGUMENT', async (text) => {
    await withoutStateChange(async () => {
      const res = await gql(
        server.httpUrl,
        `mutation { setEntity(input: {domain: "${D}", type: "user", key: "ann", values: {v: 2}, version: ${JSON.stringify(text)}}) }`,
      );
      expect(res.status).toBe(400);
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['INVALID_ARGUMENT']);
      expect(res.errors?.[0]?.message).toMatch(/Int64: .* is not a canonical decimal integer/);
      expect(res.data).toBeUndefined();
    });
  });

  it.each([...BAD_STRINGS, ...BAD_NUMBERS])('refuses version %j in a variable with 400 INVALID_ARGUMENT', async (v) => {
    await withoutStateChange(async () => {
      const res = await a().set({ domain: D, type: 'user', key: 'ann', values: { v: 2 }, version: v });
      expect(res.status).toBe(400);
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['INVALID_ARGUMENT']);
    });
  });

  it('refuses a float literal and a string limit (Int is exact too)', async () => {
    await withoutStateChange(async () => {
      const literal = await gql(
        server.httpUrl,
        `mutation { setEntity(input: {domain: "${D}", type: "user", key: "ann", values: {v: 2}, version: 1.0}) }`,
      );
      expect(literal.status).toBe(400);
      expect(literal.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
      for (const limit of ['10', '0x10', 2.5]) {
        const res = await a().searchEntities({ domain: D, type: 'user', limit });
        expect(res.status).toBe(400);
        expect(res.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
      }
    });
  });

  it('takes canonical forms: "-1" and version preconditions, int64 max and min as strings, safe numbers', async () => {
    const key = 'gql-canonical';
    expect((await a().set({ domain: D, type: 'user', key, values: { n: 1 }, version: '-1' })).data).toEqual({
      setEntity: true,
    });
    // "-1" again: the entity exists now, so the precondition fails (ABORTED), not the syntax.
    expect(
      (await a().set({ domain: D, type: 'user', key, values: { n: 2 }, version: '-1' })).errors?.[0]?.extensions?.code,
    ).toBe('ABORTED');
    expect((await a().set({ domain: D, type: 'user', key, values: { n: 2 }, version: '1' })).data).toEqual({
      setEntity: true,
    });
    expect((await a().set({ domain: D, type: 'user', key, values: { n: 3 }, version: 2 })).data).toEqual({
      setEntity: true,
    });
    const asOf = await a().get({ domain: D, type: 'user', key, at: INT64_MAX });
    expect(asOf.data?.getEntity).toMatchObject({ version: '3', values: { n: 3 } });
    const literal = await gql(
      server.httpUrl,
      `{ getEntity(input: {domain: "${D}", type: "user", key: "${key}", version: 1}) { version values } }`,
    );
    expect(literal.data).toEqual({ getEntity: { version: '1', values: { n: 1 } } });
    const events = await a().searchEvents({ domain: D, type: 'user', limit: 10, min: INT64_MIN, max: INT64_MAX });
    expect(events.status).toBe(200);
    expect(events.data?.searchEvents.events.length).toBeGreaterThanOrEqual(4);
    // One past int64 is out of range, not wrapped.
    const past = await a().get({ domain: D, type: 'user', key, at: '9223372036854775808' });
    expect(past.status).toBe(400);
    expect(past.errors?.[0]?.message).toMatch(/out of range for int64/);
  });
});

describe('REST query parameters and JSON bodies', () => {
  const code = (body: unknown) => (body as { code?: number }).code;

  it.each(['0x10', '0b10', '0o10', ' 10', '+10', '010', '1e1', '10.0', '-0', ''])(
    'refuses limit=%j with 400 and code 3',
    async (limit) => {
      const res = await rest(
        server.app.url,
        `/api/entity/search?domain=${D}&type=user&limit=${encodeURIComponent(limit)}`,
      );
      expect(res.status).toBe(400);
      expect(code(res.body)).toBe(3);
      expect((res.body as { message: string }).message).toMatch(/^limit: /);
    },
  );

  it('refuses bad offset, version and at parameters the same way', async () => {
    for (const path of [
      `/api/entity/search?domain=${D}&type=user&limit=10&offset=0x1`,
      `/api/entity/ref/${D}/user/ann?version=0x1`,
      `/api/entity/ref/${D}/user/ann?at=%201`,
      `/api/events/search?domain=${D}&type=user&limit=10&min=0b1`,
    ]) {
      const res = await rest(server.app.url, path);
      expect({ path, status: res.status, code: code(res.body) }).toEqual({ path, status: 400, code: 3 });
    }
  });

  it.each([...BAD_STRINGS, ...BAD_NUMBERS])(
    'refuses "version": %j in a Set body, changing nothing',
    async (version) => {
      await withoutStateChange(async () => {
        const res = await rest(server.app.url, `/api/entity/ref/${D}/user/ann`, {
          method: 'POST',
          body: { values: { v: 9 }, version },
        });
        expect(res.status).toBe(400);
        expect(code(res.body)).toBe(3);
        expect((res.body as { message: string }).message).toMatch(/^version: /);
      });
    },
  );

  it('takes canonical parameters and bodies: limit=10, version "-1", at = int64 max', async () => {
    const key = 'rest-canonical';
    const created = await rest(server.app.url, `/api/entity/ref/${D}/user/${key}`, {
      method: 'POST',
      body: { values: { n: 1 }, version: '-1' },
    });
    expect(created.status).toBe(200);
    const again = await rest(server.app.url, `/api/entity/ref/${D}/user/${key}`, {
      method: 'POST',
      body: { values: { n: 2 }, version: 1 },
    });
    expect(again.status).toBe(200);
    const search = await rest(server.app.url, `/api/entity/search?domain=${D}&type=user&limit=10&offset=0`);
    expect(search.status).toBe(200);
    const asOf = await rest(server.app.url, `/api/entity/ref/${D}/user/${key}?at=${INT64_MAX}`);
    expect(asOf.status).toBe(200);
    expect(asOf.body).toMatchObject({ version: '2', values: { n: 2 } });
  });
});

describe('Connect JSON (connect-es would read "0x1" with BigInt)', () => {
  async function connect(method: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${server.app.url}/stategate.EntityService/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it.each([...BAD_STRINGS, ...BAD_NUMBERS])('refuses "version": %j in Set with invalid_argument', async (version) => {
    await withoutStateChange(async () => {
      const res = await connect('Set', { domain: D, type: 'user', key: 'ann', values: { v: 9 }, version });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_argument');
    });
  });

  it('refuses non-canonical int32 limit/offset and int64 at/version on Search and Get', async () => {
    for (const [method, body] of [
      ['Search', { domain: D, type: 'user', limit: '0x10' }],
      ['Search', { domain: D, type: 'user', limit: 10, offset: '1e0' }],
      ['Get', { domain: D, type: 'user', key: 'ann', at: ' 1' }],
      ['Get', { domain: D, type: 'user', key: 'ann', version: '0o1' }],
    ] as const) {
      const res = await connect(method, body);
      expect({ method, body, status: res.status, code: res.body.code }).toEqual({
        method,
        body,
        status: 400,
        code: 'invalid_argument',
      });
    }
  });

  it('refuses it on gRPC-Web with JSON too (grpc-status 3)', async () => {
    const message = new TextEncoder().encode(JSON.stringify({ domain: D, type: 'user', key: 'ann', version: '0x1' }));
    const frame = new Uint8Array(5 + message.length);
    new DataView(frame.buffer).setUint32(1, message.length);
    frame.set(message, 5);
    const res = await fetch(`${server.app.url}/stategate.EntityService/Get`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web+json' },
      body: frame,
    });
    const trailers = `${res.headers.get('grpc-status') ?? ''} ${new TextDecoder().decode(await res.arrayBuffer())}`;
    expect(trailers).toMatch(/grpc-status:\s*3|^3 /);
  });

  it('takes canonical ones: "-1", safe numbers and int64 max', async () => {
    const key = 'connect-canonical';
    expect((await connect('Set', { domain: D, type: 'user', key, values: { n: 1 }, version: '-1' })).status).toBe(200);
    expect((await connect('Set', { domain: D, type: 'user', key, values: { n: 2 }, version: 1 })).status).toBe(200);
    const got = await connect('Get', { domain: D, type: 'user', key, at: INT64_MAX });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ version: '2', values: { n: 2 } });
    const search = await connect('Search', { domain: D, type: 'user', limit: '10', offset: 0 });
    expect(search.status).toBe(200);
    expect((await gql(server.httpUrl, Q.get, { input: { domain: D, type: 'user', key } })).data).toMatchObject({
      getEntity: { version: '2' },
    });
  });
});
