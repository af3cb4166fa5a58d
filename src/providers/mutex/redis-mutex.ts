import { randomUUID } from 'node:crypto';
import { invalid, unavailable } from '../../core/errors.js';
import type { MutexLease } from '../../core/model.js';
import type { MutexProvider, UnlockOutcome } from '../../core/ports/cache.js';
import { closeRedis, connectRedis, KEY_PREFIX, pingRedis, type RedisOptions, redisCall } from '../redis/client.js';

/** Options of the Redis mutex: where Redis is (see RedisOptions). */
export type RedisMutexOptions = RedisOptions;

/**
 * Grant = SET NX PX plus INCR of the key's fencing counter, in one script so that no grant can go without
 * its fencing number (and no number is spent without a grant). The counter has no TTL: it must never
 * reset, or a later holder could get a lower number than a stale one (G7).
 * KEYS: lock, fencing. ARGV: token, ttl ms. Returns the fencing number, or nil while held.
 */
const LOCK = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return false`;

/**
 * Compare-and-delete, atomic in a script so that a holder whose lease expired between a GET and a DEL
 * cannot remove the next holder's lock. KEYS: lock. ARGV: '1' when a token is given, the token.
 */
const UNLOCK = `
local held = redis.call('GET', KEYS[1])
if not held then return 'not-held' end
if ARGV[1] == '1' and held ~= ARGV[2] then return 'wrong-token' end
redis.call('DEL', KEYS[1])
return 'released'`;

/**
 * TTL locks over Redis (G7) for any number of stategate instances sharing one Redis (not Redis Cluster
 * failover: a lock written to a primary that dies before replicating can be granted twice — the fencing
 * number is what protects the guarded resource then). Redis expires the lock itself, on its own clock.
 * Fencing numbers survive a Redis restart only if Redis persists its data (AOF, `appendonly yes`): a
 * Redis restarted empty starts counting at 1 again, which breaks "strictly increasing" (G7).
 */
export async function createRedisMutex(options: RedisMutexOptions): Promise<MutexProvider> {
  const redis = await connectRedis(options, 'mutex');
  let closed = false;

  // The `{…}` hash tag puts both keys of one mutex in the same slot, as a script touching both requires.
  const keysOf = (domain: string, key: string) => {
    const tag = `${KEY_PREFIX}mutex:{${JSON.stringify([domain, key])}}`;
    return { lock: `${tag}:lock`, fencing: `${tag}:fencing` };
  };
  const ensureOpen = () => {
    if (closed) throw unavailable('redis mutex is closed');
  };

  return {
    name: 'redis',

    async lock({ domain, key }, ttlMs): Promise<MutexLease | null> {
      ensureOpen();
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw invalid('lock ttlMs must be a positive number');
      const ttl = Math.ceil(ttlMs);
      const token = randomUUID();
      const k = keysOf(domain, key);
      const granted = Date.now();
      const fencing = await redisCall('lock', () => redis.eval(LOCK, 2, k.lock, k.fencing, token, ttl));
      if (fencing === null) return null;
      // Measured from before the call: the reported expiry is never later than Redis's.
      return { domain, key, exp: new Date(granted + ttl), token, fencing: Number(fencing) };
    },

    async unlock({ domain, key, token }): Promise<UnlockOutcome> {
      ensureOpen();
      const k = keysOf(domain, key);
      const outcome = await redisCall('unlock', () =>
        redis.eval(UNLOCK, 1, k.lock, token === undefined ? '0' : '1', token ?? ''),
      );
      return outcome as UnlockOutcome;
    },

    async ping() {
      ensureOpen();
      await pingRedis(redis, 'mutex');
    },

    async close() {
      if (closed) return;
      closed = true;
      await closeRedis(redis);
    },
  };
}
