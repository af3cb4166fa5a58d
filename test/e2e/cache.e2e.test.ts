import { gql } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type Api, api, expectError, ok, sleep, uid } from './helpers.js';

/** The TTL cache over GraphQL: setCache, getCache, delCache. */

let server: TestServer;
let a: Api;
const D = 'e2e-cache';

beforeAll(async () => {
  server = await startTestServer();
  a = api(server.httpUrl);
});

afterAll(async () => {
  await server?.close();
});

const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();

describe('setCache / getCache', () => {
  const values: Array<[string, unknown]> = [
    ['an object', { a: 1, nested: { b: [true, null, 'x'] } }],
    ['an empty object', {}],
    ['an array', [1, 'two', { three: 3 }, null]],
    ['an empty array', []],
    ['a string', 'hello'],
    ['an empty string', ''],
    ['an integer', 42],
    ['zero', 0],
    ['a negative fraction', -1.25],
    ['true', true],
    ['false', false],
  ];

  it.each(values)('stores %s and answers it unchanged', async (_name, value) => {
    const key = uid();
    expect(ok(await a.setCache({ domain: D, key, value }))).toEqual({ setCache: true });
    expect(ok(await a.getCache({ domain: D, key })).getCache).toEqual({ domain: D, key, value, exp: null });
  });

  // A cache value is any JSON value, null included (CacheInput.value is nullable for that; absent is refused).
  it('stores null and answers it unchanged', async () => {
    const key = uid();
    expect(ok(await a.setCache({ domain: D, key, value: null }))).toEqual({ setCache: true });
    expect(ok(await a.getCache({ domain: D, key })).getCache).toEqual({ domain: D, key, value: null, exp: null });
  });

  it('takes a value written as a GraphQL literal', async () => {
    const key = uid();
    const res = await gql(
      server.httpUrl,
      `mutation { setCache(input: { domain: "${D}", key: "${key}", value: { list: [1, "a", null], flag: false } }) }`,
    );
    expect(ok(res)).toEqual({ setCache: true });
    expect(ok(await a.getCache({ domain: D, key })).getCache.value).toEqual({ list: [1, 'a', null], flag: false });
  });

  it('overwrites a value (and its expiry)', async () => {
    const key = uid();
    ok(await a.setCache({ domain: D, key, value: 1, exp: inFuture(60_000) }));
    ok(await a.setCache({ domain: D, key, value: { second: true } }));
    expect(ok(await a.getCache({ domain: D, key })).getCache).toEqual({
      domain: D,
      key,
      value: { second: true },
      exp: null,
    });
  });

  it('keeps keys of different domains apart', async () => {
    const key = uid();
    ok(await a.setCache({ domain: D, key, value: 'one' }));
    ok(await a.setCache({ domain: `${D}-2`, key, value: 'two' }));
    expect(ok(await a.getCache({ domain: D, key })).getCache.value).toBe('one');
    expect(ok(await a.getCache({ domain: `${D}-2`, key })).getCache.value).toBe('two');
  });

  it('answers exp as an RFC 3339 timestamp, the instant given', async () => {
    const key = uid();
    const exp = new Date(Date.now() + 60_000);
    ok(await a.setCache({ domain: D, key, value: 1, exp: exp.toISOString() }));
    const got = ok(await a.getCache({ domain: D, key })).getCache;
    expect(got.exp).toBe(exp.toISOString());
  });

  it('accepts exp with an offset and nanosecond fraction', async () => {
    const key = uid();
    const exp = new Date(Date.now() + 120_000);
    const withOffset = `${new Date(exp.getTime() + 2 * 3_600_000).toISOString().slice(0, 19)}.123456789+02:00`;
    ok(await a.setCache({ domain: D, key, value: 1, exp: withOffset }));
    const got = ok(await a.getCache({ domain: D, key })).getCache;
    expect(Math.abs(Date.parse(got.exp!) - exp.getTime())).toBeLessThan(1000);
  });

  it('of a missing key is NOT_FOUND', async () => {
    expectError(await a.getCache({ domain: D, key: uid() }), 'NOT_FOUND');
  });

  it('forgets a value at its exp', async () => {
    const key = uid();
    ok(await a.setCache({ domain: D, key, value: 'short-lived', exp: inFuture(1500) }));
    expect(ok(await a.getCache({ domain: D, key })).getCache.value).toBe('short-lived');
    await sleep(1700);
    expectError(await a.getCache({ domain: D, key }), 'NOT_FOUND');
  });

  it('a value set again after expiring is there again', async () => {
    const key = uid();
    ok(await a.setCache({ domain: D, key, value: 1, exp: inFuture(1500) }));
    await sleep(1700);
    expectError(await a.getCache({ domain: D, key }), 'NOT_FOUND');
    ok(await a.setCache({ domain: D, key, value: 2 }));
    expect(ok(await a.getCache({ domain: D, key })).getCache.value).toBe(2);
  });
});

describe('delCache', () => {
  it('removes a value', async () => {
    const key = uid();
    ok(await a.setCache({ domain: D, key, value: [1] }));
    expect(ok(await a.delCache({ domain: D, key }))).toEqual({ delCache: true });
    expectError(await a.getCache({ domain: D, key }), 'NOT_FOUND');
  });

  it('of a missing key succeeds (idempotent)', async () => {
    expect(ok(await a.delCache({ domain: D, key: uid() }))).toEqual({ delCache: true });
  });

  it('removes only its own key', async () => {
    const [k1, k2] = [uid(), uid()];
    ok(await a.setCache({ domain: D, key: k1, value: 1 }));
    ok(await a.setCache({ domain: D, key: k2, value: 2 }));
    ok(await a.delCache({ domain: D, key: k1 }));
    expect(ok(await a.getCache({ domain: D, key: k2 })).getCache.value).toBe(2);
  });
});

describe('bad input is INVALID_ARGUMENT and changes nothing', () => {
  /** A fresh key holding 'original' (no expiry), so every case checks its own untouched value. */
  async function guarded(): Promise<string> {
    const key = uid('guarded');
    ok(await a.setCache({ domain: D, key, value: 'original' }));
    return key;
  }
  const untouched = async (key: string) =>
    expect(ok(await a.getCache({ domain: D, key })).getCache).toEqual({ domain: D, key, value: 'original', exp: null });

  const deep: Record<string, unknown> = {};
  let cursor = deep;
  for (let i = 0; i < 40; i++) {
    cursor.d = {};
    cursor = cursor.d as Record<string, unknown>;
  }

  const setCases: Array<[string, Record<string, unknown>]> = [
    ['exp in the past', { exp: new Date(Date.now() - 60_000).toISOString() }],
    ['exp long ago', { exp: '2001-01-01T00:00:00Z' }],
    ['exp not a timestamp', { exp: 'tomorrow' }],
    ['exp without a zone', { exp: '2099-01-01T00:00:00' }],
    ['exp a date only', { exp: '2099-01-01' }],
    ['exp a month 13', { exp: '2099-13-01T00:00:00Z' }],
    ['exp a number', { exp: 4_000_000_000_000 }],
    ['a value nested deeper than the limit', { value: deep }],
    ['an empty domain', { domain: '' }],
    ['a domain with whitespace', { domain: 'a b' }],
    ['an empty key', { key: '' }],
    ['a whitespace key', { key: ' ' }],
  ];

  it.each(setCases)('setCache with %s', async (_name, input) => {
    const key = await guarded();
    expectError(await a.setCache({ domain: D, key, value: 'overwritten', ...input }), 'INVALID_ARGUMENT');
    await untouched(key);
  });

  // The DateTime scalar checks the calendar, so `new Date` cannot roll Feb 31 over to Mar 3.
  it('setCache with exp an impossible date', async () => {
    const key = await guarded();
    expectError(
      await a.setCache({ domain: D, key, value: 'overwritten', exp: '2099-02-31T00:00:00Z' }),
      'INVALID_ARGUMENT',
    );
    await untouched(key);
  });

  it.each([
    ['an empty domain', (key: string) => ({ domain: '', key })],
    ['a whitespace key', () => ({ domain: D, key: '\t' })],
    ['a key with whitespace', (key: string) => ({ domain: D, key: `${key} x` })],
  ])('getCache and delCache with %s', async (_name, ref) => {
    const key = await guarded();
    expectError(await a.getCache(ref(key)), 'INVALID_ARGUMENT');
    expectError(await a.delCache(ref(key)), 'INVALID_ARGUMENT');
    await untouched(key);
  });
});
