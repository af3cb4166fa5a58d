import { type PubSubRedisOptions, RedisPubSub } from 'graphql-redis-subscriptions';
import type { Redis } from 'ioredis';
import { invalid, unavailable } from '../../core/errors.js';
import type { BusProvider } from '../../core/ports/bus.js';
import { silentLogger } from '../../core/ports/logger.js';
import { closeRedis, connectRedis, KEY_PREFIX, pingRedis, type RedisOptions, redisCall } from '../redis/client.js';
import { TopicFanout } from './topic-fanout.js';

/** Options of the Redis bus: where Redis is (see RedisOptions). */
export type RedisBusOptions = RedisOptions;

type RedisClient = NonNullable<PubSubRedisOptions['publisher']>;

const CHANNEL_PREFIX = `${KEY_PREFIX}bus:`;
const CLAIM_PREFIX = `${KEY_PREFIX}claim:`;

/**
 * The bus over Redis pub/sub, carried by graphql-redis-subscriptions' `RedisPubSub` on the project's own
 * two ioredis connections (client.ts: timeouts, keep-alive, no offline queue, reconnect forever): a
 * connection in subscriber mode cannot run other commands, so publishing and claims use their own.
 * Payloads pass through as the strings they are (identity serializer and deserializer: no JSON
 * encoding). Redis delivers the messages of one publishing connection in order, which gives per-topic
 * order; channels are binary-safe, so topics need no escaping. ioredis re-subscribes its channels after
 * a reconnect. Pub/sub is at-most-once (a message published while the subscriber reconnects is lost);
 * that is acceptable because the bus is only the fast path and the log fills gaps (G5).
 *
 * RedisPubSub subscribes once per channel however many subscriptions it has; TopicFanout still holds the
 * local handlers, so a subscriber joining a listened topic gets only newer messages (barrier) and one
 * failing handler never stops the others.
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

  // RedisPubSub sends UNSUBSCRIBE without awaiting it; its promise is kept here, so that unlisten can
  // await it and a Redis that is away at that moment cannot leave a rejection nobody handles.
  let lastUnsubscribe: Promise<unknown> = Promise.resolve();
  const pubsub = new RedisPubSub({
    // Typed against the ioredis 5 it bundles for when it is given no clients; it calls only on/subscribe/
    // unsubscribe/punsubscribe/publish on them, which the project's ioredis 6 keeps as they were.
    publisher: commands as unknown as RedisClient,
    subscriber: awaitingUnsubscribes(subscriber, (reply) => {
      lastUnsubscribe = reply;
    }) as unknown as RedisClient,
    serializer: (payload: string) => payload,
    deserializer: (message: string | Buffer) => (typeof message === 'string' ? message : message.toString('utf8')),
  });
  /** RedisPubSub's subscription id per topic listened on. */
  const listened = new Map<string, number>();

  const fanout = new TopicFanout(
    {
      listen: (topic) =>
        redisCall('subscribe', async () => {
          const id = await pubsub.subscribe(CHANNEL_PREFIX + topic, (payload: string) =>
            fanout.deliver(topic, payload),
          );
          listened.set(topic, id);
        }),
      unlisten: (topic) =>
        redisCall('unsubscribe', async () => {
          const id = listened.get(topic);
          if (id === undefined) return;
          listened.delete(topic);
          pubsub.unsubscribe(id);
          await lastUnsubscribe;
        }),
      // PING is one of the few commands Redis accepts on a connection in subscriber mode.
      barrier: () => redisCall('ping', () => subscriber.ping().then(() => {})),
    },
    (err, topic) => logger.warn({ err, topic }, 'bus handler failed'),
  );

  const ensureOpen = () => {
    if (closed) throw unavailable('redis bus is closed');
  };

  return {
    name: 'redis',

    async publish(topic, payload) {
      ensureOpen();
      await redisCall('publish', () => pubsub.publish(CHANNEL_PREFIX + topic, payload));
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
      // Not pubsub.close(): closeRedis falls back to a hard disconnect when Redis is unreachable.
      await Promise.all([closeRedis(subscriber), closeRedis(commands)]);
    },
  };
}

/**
 * The subscriber connection as RedisPubSub sees it: the same ioredis client, except that the UNSUBSCRIBE
 * and PUNSUBSCRIBE it fires and forgets are caught (a rejection nobody handles would stop the process) and
 * the UNSUBSCRIBE reply is handed to `onUnsubscribe`.
 */
function awaitingUnsubscribes(subscriber: Redis, onUnsubscribe: (reply: Promise<unknown>) => void): Redis {
  return new Proxy(subscriber, {
    get(target, property) {
      if (property === 'unsubscribe' || property === 'punsubscribe') {
        return (...channels: string[]) => {
          const reply = target[property](...channels);
          reply.catch(() => undefined);
          if (property === 'unsubscribe') onUnsubscribe(reply);
          return reply;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
