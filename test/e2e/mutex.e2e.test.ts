import { gql } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type Api, api, expectError, ok, Q, sleep, uid } from './helpers.js';

/** TTL mutex locks over GraphQL: lockMutex, unlockMutex, fencing numbers. */

let server: TestServer;
let a: Api;
const D = 'e2e-mutex';

beforeAll(async () => {
  server = await startTestServer();
  a = api(server.httpUrl);
});

afterAll(async () => {
  await server?.close();
});

const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();
const lease = async (key: string, exp?: string) =>
  ok(await a.lock({ domain: D, key, ...(exp ? { exp } : {}) })).lockMutex;

describe('lockMutex', () => {
  it('grants a lease: domain, key, exp, a token and a fencing number', async () => {
    const key = uid();
    const before = Date.now();
    const granted = await lease(key);
    expect(granted).toEqual({
      domain: D,
      key,
      exp: expect.any(String),
      token: expect.any(String),
      fencing: expect.any(String),
    });
    expect(granted.token.length).toBeGreaterThanOrEqual(16);
    expect(granted.fencing).toMatch(/^\d+$/);
    expect(BigInt(granted.fencing) > 0n).toBe(true);
    // No exp: the default lease (60 s).
    const ttl = Date.parse(granted.exp) - before;
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(61_000);
  });

  it('honours a given exp', async () => {
    const exp = inFuture(30_000);
    const granted = await lease(uid(), exp);
    expect(Math.abs(Date.parse(granted.exp) - Date.parse(exp))).toBeLessThan(1_000);
  });

  it('is ALREADY_EXISTS while held, for anyone', async () => {
    const key = uid();
    await lease(key);
    expectError(await a.lock({ domain: D, key }), 'ALREADY_EXISTS');
    expectError(await a.lock({ domain: D, key, exp: inFuture(1000) }), 'ALREADY_EXISTS');
  });

  it('locks keys and domains independently', async () => {
    const key = uid();
    await lease(key);
    ok(await a.lock({ domain: `${D}-2`, key }));
    ok(await a.lock({ domain: D, key: `${key}-2` }));
  });

  it('grants exactly one of 100 concurrent requests for one key', async () => {
    const key = uid('race');
    const results = await Promise.all(Array.from({ length: 100 }, () => a.lock({ domain: D, key })));
    const granted = results.filter((r) => r.data?.lockMutex);
    const refused = results.filter((r) => r.errors?.[0]?.extensions?.code === 'ALREADY_EXISTS');
    expect(granted).toHaveLength(1);
    expect(refused).toHaveLength(99);
    for (const r of results) expect(r.status).toBeLessThan(500);
    for (const r of refused) expect(r.data).toBeNull();
  });
});

describe('unlockMutex', () => {
  it('with a wrong token is FAILED_PRECONDITION and the lock stays held', async () => {
    const key = uid();
    const held = await lease(key);
    expectError(await a.unlock({ domain: D, key, token: 'not-the-token' }), 'FAILED_PRECONDITION');
    expectError(await a.lock({ domain: D, key }), 'ALREADY_EXISTS');
    expect(ok(await a.unlock({ domain: D, key, token: held.token }))).toEqual({ unlockMutex: true });
  });

  it('with the right token frees the key; the next lease has a higher fencing number', async () => {
    const key = uid();
    const first = await lease(key);
    expect(ok(await a.unlock({ domain: D, key, token: first.token }))).toEqual({ unlockMutex: true });
    const second = await lease(key);
    expect(BigInt(second.fencing) > BigInt(first.fencing)).toBe(true);
    expect(second.token).not.toBe(first.token);
    // The first holder's token no longer unlocks anything.
    expectError(await a.unlock({ domain: D, key, token: first.token }), 'FAILED_PRECONDITION');
    expectError(await a.lock({ domain: D, key }), 'ALREADY_EXISTS');
  });

  it('without a token frees the key whoever holds it', async () => {
    const key = uid();
    await lease(key);
    ok(await a.unlock({ domain: D, key }));
    await lease(key);
  });

  it('of a free key without a token succeeds; with a token it is FAILED_PRECONDITION', async () => {
    expect(ok(await a.unlock({ domain: D, key: uid() }))).toEqual({ unlockMutex: true });
    expectError(await a.unlock({ domain: D, key: uid(), token: 'whatever' }), 'FAILED_PRECONDITION');
  });

  it('fencing numbers strictly rise over many grants of one key', async () => {
    const key = uid();
    const fencing: bigint[] = [];
    for (let i = 0; i < 10; i++) {
      const held = await lease(key);
      fencing.push(BigInt(held.fencing));
      ok(await a.unlock({ domain: D, key, token: held.token }));
    }
    for (let i = 1; i < fencing.length; i++) expect(fencing[i]! > fencing[i - 1]!).toBe(true);
  });
});

describe('expiry', () => {
  it('frees the key at exp; the next lease has a higher fencing number and the old token is stale', async () => {
    const key = uid();
    const first = await lease(key, inFuture(1500));
    expectError(await a.lock({ domain: D, key }), 'ALREADY_EXISTS');
    await sleep(1700);
    const second = await lease(key);
    expect(BigInt(second.fencing) > BigInt(first.fencing)).toBe(true);
    expectError(await a.unlock({ domain: D, key, token: first.token }), 'FAILED_PRECONDITION');
    expectError(await a.lock({ domain: D, key }), 'ALREADY_EXISTS');
  });

  it('an expired lease unlocked with its token is FAILED_PRECONDITION', async () => {
    const key = uid();
    const held = await lease(key, inFuture(1500));
    await sleep(1700);
    expectError(await a.unlock({ domain: D, key, token: held.token }), 'FAILED_PRECONDITION');
  });
});

describe('bad input is INVALID_ARGUMENT and takes no lock', () => {
  it.each([
    ['exp in the past', { exp: new Date(Date.now() - 1000).toISOString() }],
    ['exp long ago', { exp: '2001-01-01T00:00:00Z' }],
    ['exp beyond the maximum lease (1 h)', { exp: new Date(Date.now() + 3_700_000).toISOString() }],
    ['exp far in the future', { exp: '2999-01-01T00:00:00Z' }],
    ['exp not a timestamp', { exp: 'soon' }],
    ['exp a number', { exp: 1 }],
    ['an empty domain', { domain: '' }],
    ['a whitespace domain', { domain: ' ' }],
    ['an empty key', { key: '' }],
    ['a key with whitespace', { key: 'a\nb' }],
  ])('lockMutex with %s', async (_name, input) => {
    const key = uid();
    expectError(await a.lock({ domain: D, key, ...input }), 'INVALID_ARGUMENT');
    // The key is free: a valid lock right after is granted.
    ok(await a.lock({ domain: D, key }));
  });

  it.each([
    ['an empty domain', { domain: '' }],
    ['a whitespace key', { key: ' ' }],
  ])('unlockMutex with %s', async (_name, input) => {
    const key = uid();
    await lease(key);
    expectError(await a.unlock({ domain: D, key, ...input }), 'INVALID_ARGUMENT');
    expectError(await a.lock({ domain: D, key }), 'ALREADY_EXISTS');
  });

  it('a query document with the input inline works the same (lockMutex with exp literal)', async () => {
    const key = uid();
    const res = await gql<{ lockMutex: { key: string } }>(
      server.httpUrl,
      `mutation { lockMutex(input: {domain: "${D}", key: "${key}", exp: "${inFuture(5000)}"}) { key } }`,
    );
    expect(ok(res).lockMutex.key).toBe(key);
    expectError(await gql(server.httpUrl, Q.lock, { input: { domain: D, key } }), 'ALREADY_EXISTS');
  });
});
