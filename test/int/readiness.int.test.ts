/**
 * The readiness probe against real networked providers that stop answering: PostgreSQL storage and the
 * Redis bus, cache and mutex, each reached through a proxy that freezes (holds every byte, as a network
 * that drops packets does). The probe must answer within its timeout however long the providers hang,
 * say which check failed, and follow the providers back. Also: the NATS providers' ping.
 */
import { createStategate, type Stategate } from '../../src/core/stategate.js';
import { createAllowAllPolicy } from '../../src/policy/allow-all.js';
import { createNatsBus } from '../../src/providers/bus/nats-bus.js';
import { createRedisBus } from '../../src/providers/bus/redis-bus.js';
import { createNatsCache } from '../../src/providers/cache/nats-cache.js';
import { createRedisCache } from '../../src/providers/cache/redis-cache.js';
import { createNatsMutex } from '../../src/providers/mutex/nats-mutex.js';
import { createRedisMutex } from '../../src/providers/mutex/redis-mutex.js';
import { createPostgresStorage } from '../../src/providers/storage/postgres/index.js';
import { type FreezingProxy, freezingProxy, NATS_URL, PG_URL, REDIS_URL, waitUntil } from '../e2e/cluster-helpers.js';

const TIMEOUT_MS = 300;
const CACHE_MS = 100;

const through = (url: string, proxy: FreezingProxy) => {
  const u = new URL(url);
  u.host = `127.0.0.1:${proxy.port}`;
  return u.toString();
};
const at = (url: string) => {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
};

describe('readiness with PostgreSQL and Redis that stop answering', () => {
  let pgProxy: FreezingProxy;
  let redisProxy: FreezingProxy;
  let stategate: Stategate;
  beforeAll(async () => {
    pgProxy = await freezingProxy(at(PG_URL));
    redisProxy = await freezingProxy(at(REDIS_URL));
    const redis = { url: through(REDIS_URL, redisProxy) };
    stategate = await createStategate({
      storage: await createPostgresStorage({ url: through(PG_URL, pgProxy), poolSize: 2 }),
      bus: await createRedisBus(redis),
      cache: await createRedisCache(redis),
      mutex: await createRedisMutex(redis),
      access: createAllowAllPolicy(),
      readiness: { timeoutMs: TIMEOUT_MS, cacheMs: CACHE_MS },
    });
  });
  afterAll(async () => {
    pgProxy?.thaw();
    redisProxy?.thaw();
    await stategate?.close();
    await pgProxy?.close();
    await redisProxy?.close();
  });

  /** A probe, and how long it took: never much more than the timeout. */
  const probe = async () => {
    const started = Date.now();
    const readiness = await stategate.readiness();
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 500);
    return readiness;
  };
  const allOk = async () => {
    const r = await probe();
    return r.ready && !r.degraded;
  };

  it('is ready while every provider answers', async () => {
    const r = await probe();
    expect(r).toEqual({
      ready: true,
      degraded: false,
      checks: {
        storage: { ok: true, ms: expect.any(Number) },
        bus: { ok: true, ms: expect.any(Number) },
        cache: { ok: true, ms: expect.any(Number) },
        mutex: { ok: true, ms: expect.any(Number) },
      },
    });
  });

  it('stays ready but degraded while Redis hangs; bus, cache and mutex time out', async () => {
    redisProxy.freeze();
    try {
      await new Promise((resolve) => setTimeout(resolve, CACHE_MS + 10));
      const r = await probe();
      expect(r.ready).toBe(true);
      expect(r.degraded).toBe(true);
      expect(r.checks.storage.ok).toBe(true);
      for (const name of ['bus', 'cache', 'mutex'] as const) {
        expect({ name, ...r.checks[name] }).toEqual({
          name,
          ok: false,
          ms: expect.any(Number),
          error: `no answer within ${TIMEOUT_MS} ms`,
        });
        expect(r.checks[name].ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      }
    } finally {
      redisProxy.thaw();
    }
    await waitUntil(allOk, 'every check passing after Redis is back', 10_000);
  });

  it('is not ready while PostgreSQL hangs, answering in bounded time on every probe, and ready after', async () => {
    pgProxy.freeze();
    try {
      // Several probes over more than one timeout: each answers on time although the first query still hangs.
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, CACHE_MS + 10));
        const r = await probe();
        expect(r.ready).toBe(false);
        expect(r.checks.storage).toEqual({
          ok: false,
          ms: expect.any(Number),
          error: `no answer within ${TIMEOUT_MS} ms`,
        });
        expect(r.checks.cache.ok).toBe(true);
      }
    } finally {
      pgProxy.thaw();
    }
    await waitUntil(allOk, 'ready after PostgreSQL answers again', 10_000);
  });
});

describe('NATS providers ping', () => {
  it('answers while connected and fails UNAVAILABLE once closed', async () => {
    const options = { url: NATS_URL };
    const providers = [await createNatsBus(options), await createNatsCache(options), await createNatsMutex(options)];
    for (const p of providers) await expect(p.ping?.()).resolves.toBeUndefined();
    for (const p of providers) await p.close();
    for (const p of providers) await expect(p.ping?.()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
