import { type Ctx, measureMax, pairedMax, ratio } from '../lib/context.js';
import { startStategate, URLS } from '../lib/stategate.js';
import { floors } from './s1-floor.js';

/**
 * S8 cache and mutex on Redis over gRPC (16 concurrent callers, as the original stategate comparison):
 * cache Set+Get pairs and Gets, and one contended lock (16 workers lock, hold, unlock); against raw ioredis
 * doing the same and the S1 gRPC floor. Every grant while another worker holds the lease, or a fencing
 * number not above the previous grant's, counts as a mutual-exclusion violation (must be 0).
 */
export async function s8(ctx: Ctx) {
  await floors(ctx);
  const load = await ctx.load();
  ctx.log('S8 raw ioredis');
  const rawSetGet = await load.call<{ opsPerS: number }>('redisRaw', {
    url: URLS.redis,
    op: 'setget',
    concurrency: 16,
    durationS: ctx.maxS,
  });
  const rawMutex = await load.call<{ opsPerS: number; violations: number }>('redisRaw', {
    url: URLS.redis,
    op: 'mutex',
    concurrency: 16,
    durationS: ctx.maxS,
  });
  const server = await startStategate({ provider: 'sqlite', cache: 'redis' });
  try {
    ctx.log('S8 stategate cache and mutex on Redis');
    const saved = ctx.connections;
    ctx.connections = 16;
    const params = { domain: 'cachebench', keys: 100 };
    for (let k = 0; k < params.keys; k++) {
      const res = await fetch(`${server.url}/api/cache/ref/${params.domain}/k${k}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: k }),
      });
      await res.arrayBuffer();
    }
    const setGet = await measureMax(ctx, 'grpc', server.url, 'grpc.cache.setget', params).finally(() => {
      ctx.connections = saved;
    });
    ctx.connections = 16;
    const get = await pairedMax(ctx, 'grpcGet', 'grpc', server.url, 'grpc.cache.get', params).finally(() => {
      ctx.connections = saved;
    });
    const mutex = await load.call<{
      grantsPerS: number;
      attemptsPerS: number;
      violations: number;
      errors: number;
      grants: number;
    }>('grpcMutex', {
      url: server.url,
      workers: 16,
      durationS: ctx.maxS * 2,
      domain: `mutexbench${Date.now().toString(36)}`,
    });
    return {
      raw: {
        setGetPairsPerS: Math.round(rawSetGet.opsPerS),
        mutexGrantsPerS: Math.round(rawMutex.opsPerS),
        mutexViolations: rawMutex.violations,
      },
      setGet,
      get,
      mutex,
      ratios: {
        setGetToRaw: ratio(setGet.opsPerS, rawSetGet.opsPerS),
        getToGrpcFloor: get.ratio,
        mutexToRaw: ratio(mutex.grantsPerS, rawMutex.opsPerS),
      },
    };
  } finally {
    await server.stop();
  }
}
