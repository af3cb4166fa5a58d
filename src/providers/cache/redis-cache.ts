import { invalid, unavailable } from '../../core/errors.js';
import type { CacheEntry, JsonValue } from '../../core/model.js';
import type { CacheProvider } from '../../core/ports/cache.js';
import { closeRedis, connectRedis, KEY_PREFIX, pingRedis, type RedisOptions, redisCall } from '../redis/client.js';

/** Options of the Redis cache: where Redis is (see RedisOptions). */
export type RedisCacheOptions = RedisOptions;

/** What one Redis string holds: the value and, when it has one, its expiry in ms since the epoch. */
type Stored = { v: JsonValue; e?: number };

/**
 * The cache over Redis strings. The value is stored as JSON together with its `exp`, because Redis only
 * reports a remaining TTL and `get` must return the instant the client gave; `PXAT` makes Redis evict it
 * at that instant. `get` re-checks `exp` too, so a value is never returned late, whatever Redis's clock.
 */
export async function createRedisCache(options: RedisCacheOptions): Promise<CacheProvider> {
  const redis = await connectRedis(options, 'cache');
  let closed = false;

  // JSON of the pair: no choice of separator could be confused with one inside a domain or key.
  const keyOf = (domain: string, key: string) => `${KEY_PREFIX}cache:${JSON.stringify([domain, key])}`;
  const ensureOpen = () => {
    if (closed) throw unavailable('redis cache is closed');
  };

  return {
    name: 'redis',

    async set({ domain, key, value, exp }) {
      ensureOpen();
      const expMs = exp?.getTime();
      if (expMs !== undefined && Number.isNaN(expMs)) throw invalid('cache exp is not a valid date');
      const stored: Stored = expMs === undefined ? { v: value } : { v: value, e: expMs };
      const json = JSON.stringify(stored);
      // A plain SET also clears an earlier expiry, as overwriting must.
      await redisCall('cache set', () =>
        expMs === undefined ? redis.set(keyOf(domain, key), json) : redis.set(keyOf(domain, key), json, 'PXAT', expMs),
      );
    },

    async get({ domain, key }) {
      ensureOpen();
      const json = await redisCall('cache get', () => redis.get(keyOf(domain, key)));
      if (json === null) return null;
      const stored = JSON.parse(json) as Stored;
      if (stored.e !== undefined && stored.e <= Date.now()) return null;
      const entry: CacheEntry = { domain, key, value: stored.v };
      if (stored.e !== undefined) entry.exp = new Date(stored.e);
      return entry;
    },

    async del({ domain, key }) {
      ensureOpen();
      await redisCall('cache del', () => redis.del(keyOf(domain, key)));
    },

    async ping() {
      ensureOpen();
      await pingRedis(redis, 'cache');
    },

    async close() {
      if (closed) return;
      closed = true;
      await closeRedis(redis);
    },
  };
}
