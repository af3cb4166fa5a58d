/**
 * Redis stops answering without closing its connections (a partition, or a Redis stuck in a slow
 * command): three stategate processes reach it through a proxy that freezes. Cache and mutex calls fail
 * UNAVAILABLE in bounded time instead of hanging, event streams keep flowing from the log, and once Redis
 * answers again a consumer group has every event exactly once (claims that landed while their answers
 * were held are found again by their owner) and mutex fencing keeps rising.
 */
import { errorCode, gql } from '../support/graphql.js';
import {
  type Cluster,
  expectEachOnce,
  type FreezingProxy,
  freezingProxy,
  type Instance,
  LOCK,
  lockAndUnlock,
  ofType,
  openSoloAndGroup,
  REDIS_URL,
  type Stream,
  set,
  sleep,
  startCluster,
  unique,
  waitForEach,
  waitUntil,
} from './cluster-helpers.js';
import { allEvents } from './guarantees-helpers.js';

/** Far below "hangs until TCP gives up", which is what it rules out; the Redis command timeout is 3 s. */
const FAIL_BOUND_MS = 10_000;

describe('three instances whose Redis stops answering', () => {
  let cluster: Cluster;
  let proxy: FreezingProxy;
  const streams: Stream[] = [];
  beforeAll(async () => {
    const redis = new URL(REDIS_URL);
    proxy = await freezingProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    const addr = `redis://127.0.0.1:${proxy.port}`;
    cluster = await startCluster({
      STATEGATE_CACHE_PROVIDER: JSON.stringify({ name: 'redis', addr }),
      STATEGATE_CHANNEL_PROVIDER: JSON.stringify({ name: 'redis', addr }),
    });
  }, 60_000);
  afterAll(async () => {
    proxy?.thaw();
    await Promise.all(streams.splice(0).map((s) => s.close()));
    await cluster?.stop();
    await proxy?.close();
  });

  it('fails cache and mutex calls in bounded time, keeps streams flowing, and loses no group event', async () => {
    const [A, B, C] = cluster.instances as [Instance, Instance, Instance];
    const domain = unique('frozen');
    const { solo, group } = await openSoloAndGroup([A, B, C], domain, streams);
    const fencingBefore = await lockAndUnlock(A, domain, 'fence');

    const N = 30;
    const writes = (s: Stream) => ofType(s, 'w');
    let lock: { code: string | undefined; ms: number } = { code: undefined, ms: 0 };
    let cache: { code: string | undefined; ms: number } = { code: undefined, ms: 0 };
    proxy.freeze();
    try {
      const timed = async (call: () => Promise<{ errors?: unknown }>) => {
        const started = Date.now();
        const res = await call();
        return { code: errorCode(res as never) ?? 'OK', ms: Date.now() - started };
      };
      // Writes go on (PostgreSQL holds them; the bus only carries hints), spread over the instances.
      const writing = (async () => {
        for (let i = 0; i < N; i++) await set([A, B, C][i % 3]!, domain, 'w', `k${i % 4}`, { i });
      })();
      [lock, cache] = await Promise.all([
        // Another key: a lock call that timed out may still land once Redis answers (its lease then expires).
        timed(() => gql(B.http, LOCK, { input: { domain, key: 'other' } })),
        timed(() => gql(C.http, `mutation { setCache(input: {domain: "${domain}", key: "c", value: 1}) }`)),
      ]);
      await writing;
      // Every solo stream gets them while Redis is still frozen: streams never wait for the bus.
      await waitForEach(solo, 'w', N, 'while Redis is frozen');
    } finally {
      proxy.thaw();
    }

    expect(lock.code).toBe('UNAVAILABLE');
    expect(cache.code).toBe('UNAVAILABLE');
    expect({ lockBounded: lock.ms < FAIL_BOUND_MS, cacheBounded: cache.ms < FAIL_BOUND_MS }).toEqual({
      lockBounded: true,
      cacheBounded: true,
    });

    const ids = (await allEvents(C.http, domain, 'w')).map((e) => e.id);
    expect(ids).toHaveLength(N);
    const grouped = () => group.flatMap(writes);
    await waitUntil(() => grouped().length >= N, `${N} writes across the group (has ${grouped().length})`);
    await sleep(1000);
    expectEachOnce(grouped(), ids);
    for (const s of [...solo, ...group]) {
      expect({ stream: s.label, ended: s.ended() }).toEqual({ stream: s.label, ended: null });
    }
    for (const s of solo)
      expect({ stream: s.label, ids: writes(s).map((e) => e.id) }).toEqual({ stream: s.label, ids });

    // The mutex works again, and its fencing is above the one before the freeze.
    const again = await gql<{ lockMutex: { fencing: string } }>(C.http, LOCK, { input: { domain, key: 'fence' } });
    expect(again.errors).toBeUndefined();
    expect(Number(again.data!.lockMutex.fencing)).toBeGreaterThan(fencingBefore);
    console.info(
      `Redis frozen: lockMutex UNAVAILABLE after ${lock.ms} ms, setCache after ${cache.ms} ms; ${N} writes streamed meanwhile`,
    );
  }, 90_000);
});
