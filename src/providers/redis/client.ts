import { Redis } from 'ioredis';
import { StategateError, unavailable } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/ports/logger.js';
import { redactUrl } from '../redact-url.js';

/** How every Redis provider (bus, cache, mutex) is told where Redis is. */
export interface RedisOptions {
  /** `redis://host:port[/db]` (or `rediss://` for TLS). */
  url: string;
  /** ACL user and password; they override any given in the url. */
  user?: string;
  password?: string;
  logger?: Logger;
  /**
   * How long one command may go unanswered before it fails with UNAVAILABLE (default 3000 ms). Without
   * it, a Redis that stops answering without closing the connection (a partition, a stuck server) would
   * hold every cache, mutex and claim call until TCP gives up, minutes later.
   */
  commandTimeoutMs?: number;
}

/** Prefix of every key and channel stategate writes, so it can share a Redis with other programs. */
export const KEY_PREFIX = 'stategate:';

/**
 * Opens one connection and waits until it is ready, so a wrong url or a down server fails at start with
 * a clear UNAVAILABLE instead of on the first request. Afterwards ioredis reconnects by itself; while it
 * is disconnected, commands fail fast (no offline queue) rather than hang a request, and a command that
 * goes unanswered fails after `commandTimeoutMs` (it may still be applied if Redis answers later).
 */
export async function connectRedis(options: RedisOptions, role: string): Promise<Redis> {
  const logger = options.logger ?? silentLogger;
  const where = redactUrl(options.url);
  const redis = new Redis(options.url, {
    ...(options.user !== undefined && { username: options.user }),
    ...(options.password !== undefined && { password: options.password }),
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    commandTimeout: options.commandTimeoutMs ?? 3000,
    // Dead peers are noticed on idle connections too (the subscriber connection is mostly idle).
    keepAlive: 10_000,
    // Backs off up to 2 s between attempts, forever: a restarted Redis is picked up without a restart.
    retryStrategy: (times) => Math.min(times * 100, 2000),
  });
  // Without a listener ioredis prints every connection error to stderr; the logger decides instead.
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => {
    lastError = err;
    logger.warn({ err, redis: where, role }, 'redis connection error');
  });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect(); // stop the background reconnect attempts of a provider that never started
    // connect() only says "Connection is closed"; the error event had the cause (ECONNREFUSED, auth, …).
    const cause = lastError ?? (err as Error);
    throw unavailable(`cannot connect to redis at ${where} (${role}): ${cause.message}`, cause);
  }
  return redis;
}

/** Runs one Redis call, turning any failure (refused, reset, timed out, reply error) into UNAVAILABLE. */
export async function redisCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof StategateError) throw err;
    throw unavailable(`redis ${what} failed: ${(err as Error).message}`, err);
  }
}

/** PING on one connection, for readiness: proves the socket is up and Redis is answering commands. */
export async function pingRedis(redis: Redis, role: string): Promise<void> {
  await redisCall(`${role} ping`, () => redis.ping());
}

/** Closes a connection politely, falling back to a hard disconnect when Redis is unreachable. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
