import type { Redis } from 'ioredis';
import { invalid, unavailable } from '../../core/errors.js';
import type { BusProvider } from '../../core/ports/bus.js';
import { silentLogger } from '../../core/ports/logger.js';
import { closeRedis, connectRedis, KEY_PREFIX, pingRedis, type RedisOptions, redisCall } from '../redis/client.js';
import { TopicFanout } from './topic-fanout.js';

/** Options of the Redis bus: where Redis is (see RedisOptions). */
export type RedisBusOptions = RedisOptions;

const CHANNEL_PREFIX = `${KEY_PREFIX}bus:`;
const CLAIM_PREFIX = `${KEY_PREFIX}claim:`;

/**
 * The bus over Redis pub/sub. Two connections: a connection in subscriber mode cannot run other
 * commands, so publishing and claims use their own. Redis delivers the messages of one publishing
 * connection in order, which gives per-topic order; channels are binary-safe, so topics need no escaping.
 * Pub/sub is at-most-once (a message published while the subscriber reconnects is lost); that is
 * acceptable because the bus is only the fast path and the log fills gaps (G5).
 */
export async function createRedisBus(options: RedisBusOptions): Promise<BusProvider> {
  const logger = options.logger ?? silentLogger;
  const commands = await connectRedis(options, 'bus');
  let subscriber: Redis;
  try {
    subscriber = await connectRedis(options, 'bus subscriber');
  } catch (err) {
    await closeRedis(commands);
    throw err;
  }
  let closed = false;

  const fanout = new TopicFanout(
    {
      // ioredis re-subscribes these channels by itself after a reconnect.
      listen: (topic) => redisCall('subscribe', () => subscriber.subscribe(CHANNEL_PREFIX + topic).then(() => {})),
      unlisten: (topic) =>
        redisCall('unsubscribe', () => subscriber.unsubscribe(CHANNEL_PREFIX + topic).then(() => {})),
      // PING is one of the few commands Redis accepts on a connection in subscriber mode.
      barrier: () => redisCall('ping', () => subscriber.ping().then(() => {})),
    },
    (err, topic) => logger.warn({ err, topic }, 'bus handler failed'),
  );
  // Messages arrive from socket reads, so a handler never runs inside the publisher's call stack.
  subscriber.on('message', (channel: string, payload: string) => {
    if (channel.startsWith(CHANNEL_PREFIX)) fanout.deliver(channel.slice(CHANNEL_PREFIX.length), payload);
  });

  const ensureOpen = () => {
    if (closed) throw unavailable('redis bus is closed');
  };

  return {
    name: 'redis',

    async publish(topic, payload) {
      ensureOpen();
      await redisCall('publish', () => commands.publish(CHANNEL_PREFIX + topic, payload));
    },

    async subscribe(topic, handler) {
      ensureOpen();
      return fanout.subscribe(topic, handler);
    },

    async claim(key, ttlMs, owner) {
      ensureOpen();
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw invalid('claim ttlMs must be a positive number');
      // SET NX is atomic on the one Redis every instance shares: exactly one caller gets OK. The value is
      // the owner, so the owner asking again (its first answer lost) finds its own claim.
      const k = CLAIM_PREFIX + key;
      const ok = await redisCall('claim', () => commands.set(k, owner ?? '', 'PX', Math.ceil(ttlMs), 'NX'));
      if (ok === 'OK') return true;
      if (owner === undefined || owner === '') return false;
      return (await redisCall('claim', () => commands.get(k))) === owner;
    },

    async ping() {
      ensureOpen();
      // Both connections: publishing and claims need one, deliveries the other.
      await Promise.all([pingRedis(commands, 'bus'), pingRedis(subscriber, 'bus subscriber')]);
    },

    async close() {
      if (closed) return;
      closed = true;
      fanout.close();
      await Promise.all([closeRedis(subscriber), closeRedis(commands)]);
    },
  };
}
