/**
 * Property-based fuzzing of REST (issue 8) with fast-check against a live server: hostile JSON bodies
 * (prototype keys, NUL, lone surrogates, odd numbers, deep nesting, raw bytes), query parameters
 * (non-canonical 64-bit strings, hostile filters) and path segments. For every input: never a 5xx, never
 * a hang (each request is bounded), no prototype pollution, a refused input (4xx) changes no state, and
 * an accepted Set stores exactly what was sent. The seed is fixed and printed with any failure
 * (test/support/abuse/fuzz.ts; FUZZ_SEED / FUZZ_RUNS override it).
 */

import fc from 'fast-check';
import {
  check,
  deepText,
  FUZZ_RUNS,
  FUZZ_SEED,
  hostileJson,
  hostileKey,
  hostileString,
  int64String,
  jsonText,
} from '../support/abuse/fuzz.js';
import { http1 } from '../support/abuse/http.js';
import { expectNoPollution } from '../support/abuse/pollution.js';
import { restCall } from '../support/abuse/requests.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { openStore } from './helpers.js';

let server: TestServer;
let store: ReturnType<typeof openStore>;

beforeAll(async () => {
  server = await startTestServer({ STATEGATE_MAX_BODY_BYTES: String(256 * 1024) });
  await restCall(server.app.url, 'POST', '/api/entity/ref/fuzz/user/ann', { values: { a: 1 } });
  store = openStore(server);
  process.stdout.write(`fuzz-rest: seed ${FUZZ_SEED}, ${FUZZ_RUNS} runs per property\n`);
});
afterAll(async () => {
  // What the fuzzing reached, so a run that only ever met one refusal shows.
  process.stdout.write(`fuzz-rest: statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}\n`);
  store?.close();
  await server?.close();
});

/** The checks every fuzzed request must pass; `refusedKeepsState` for requests that may write. */
const statuses = new Map<number, number>();

function expectSound(res: { status: number; text: string }, before: ReturnType<typeof store.state> | null): void {
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  if (res.status >= 500) throw new Error(`a 5xx: HTTP ${res.status} ${res.text.slice(0, 300)}`);
  if (res.status >= 400) {
    const body = JSON.parse(res.text || 'null') as { code?: unknown; message?: unknown } | null;
    if (typeof body?.code !== 'number' || typeof body.message !== 'string') {
      throw new Error(`a refusal without a status body: HTTP ${res.status} ${res.text.slice(0, 200)}`);
    }
    if (before) expect(store.state()).toEqual(before);
  }
  expectNoPollution();
}

const WRITE_ROUTES: Array<[string, string]> = [
  ['POST', '/api/entity/ref/fuzz/user/ann'],
  ['PATCH', '/api/entity/ref/fuzz/user/ann'],
  ['PUT', '/api/entity/ref/fuzz/user/ann/revert'],
  ['PUT', '/api/cache/ref/fuzz/c'],
  ['POST', '/api/mutex/ref/fuzz/m/lock'],
  ['POST', '/api/mutex/ref/fuzz/m/unlock'],
  ['POST', '/api/peers/broadcast'],
];

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  '',
];

/** A body: a hostile message (known fields with hostile values, or hostile keys), deep nesting, or bytes. */
const body = fc.oneof(
  fc
    .record(
      {
        values: hostileJson(4),
        value: hostileJson(3),
        version: fc.oneof(int64String, fc.integer()),
        body: hostileJson(3),
        id: hostileString,
        exp: hostileString,
        token: hostileString,
        domain: hostileString,
        extra: hostileJson(2),
      },
      { requiredKeys: [] },
    )
    .map((record) => jsonText(record)),
  fc.dictionary(hostileKey, hostileJson(3), { maxKeys: 4 }).map(jsonText),
  hostileJson(5).map(jsonText),
  deepText.map((deep) => `{"values": {"a": ${deep}}}`),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
);

describe('fuzzed REST', () => {
  it('write routes: never a 5xx, no pollution, a refusal changes nothing', async () => {
    await check(
      'REST bodies',
      fc.record({ route: fc.constantFrom(...WRITE_ROUTES), body, type: fc.constantFrom(...CONTENT_TYPES) }),
      async ({ route: [method, path], body, type }) => {
        const before = store.state();
        const res = await restCall(server.app.url, method, path, body, type === '' ? {} : { 'content-type': type });
        expectSound(res, before);
      },
    );
  });

  it('an accepted Set stores exactly the values sent', async () => {
    await check('REST Set round trip', fc.dictionary(hostileKey, hostileJson(4), { maxKeys: 5 }), async (values) => {
      const sent = jsonText({ values });
      const before = store.state();
      const res = await restCall(server.app.url, 'POST', '/api/entity/ref/fuzz/user/round', sent, {
        'content-type': 'application/json',
      });
      expectSound(res, before);
      if (res.status !== 200) return;
      const got = await restCall(server.app.url, 'GET', '/api/entity/ref/fuzz/user/round');
      expect(got.status).toBe(200);
      const stored = (JSON.parse(got.text) as { values: unknown }).values;
      // Compared as text of the parsed values: a dropped `__proto__` key or a changed number shows.
      expect(JSON.stringify(stored)).toBe(JSON.stringify((JSON.parse(sent) as { values: unknown }).values));
    });
  });

  it('query parameters of reads and deletes: never a 5xx', async () => {
    const params = fc.record(
      {
        domain: hostileString,
        type: hostileString,
        limit: fc.oneof(int64String, fc.integer().map(String)),
        offset: int64String,
        query_string: fc.oneof(hostileJson(4).map(jsonText), hostileString),
        'sort.field': hostileString,
        'sort.reverse': fc.constantFrom('true', 'false', '1', 'yes', ''),
        version: int64String,
        at: int64String,
        min: int64String,
        max: int64String,
        after: int64String,
        bogus: hostileString,
      },
      { requiredKeys: [] },
    );
    const route = fc.constantFrom<[string, string]>(
      ['GET', '/api/entity/search'],
      ['GET', '/api/events/search'],
      ['GET', '/api/entity/ref/fuzz/user/ann'],
      ['DELETE', '/api/entity/ref/fuzz/user/nobody'],
      ['GET', '/api/cache/ref/fuzz/c'],
    );
    await check('REST query parameters', fc.record({ route, params }), async ({ route: [method, path], params }) => {
      const before = store.state();
      const query = new URLSearchParams(params as Record<string, string>).toString();
      const res = await restCall(server.app.url, method, `${path}?${query}`);
      expectSound(res, method === 'DELETE' ? before : null);
      if (method === 'DELETE') expect(store.state()).toEqual(before);
    });
  });

  it('path segments: never a 5xx, a refusal changes nothing', async () => {
    const segment = fc.oneof(
      // Percent-encoded UTF-8 (a lone surrogate becomes U+FFFD's bytes, as any client would send it).
      hostileString.map((s) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
      fc.constantFrom('..', '.', '%2e%2e', '%2F', '%00', '%ff', '%', '%zz', '', '%20', 'a%2Fb', '~', '*'),
    );
    await check(
      'REST path segments',
      fc.record({
        method: fc.constantFrom('GET', 'POST', 'DELETE', 'PATCH'),
        segments: fc.array(segment, { minLength: 1, maxLength: 5 }),
      }),
      async ({ method, segments }) => {
        const before = store.state();
        const path = `/api/entity/ref/${segments.join('/')}`;
        const res = await http1(server.app.url, {
          method,
          path,
          ...(method === 'POST' || method === 'PATCH'
            ? { headers: { 'content-type': 'application/json' }, body: '{"values": {"fuzz": 1}}' }
            : {}),
        });
        // 404 of an unknown route has the status body too; only writes to a well-formed path may change state.
        expectSound(res, before);
      },
    );
  });
});
