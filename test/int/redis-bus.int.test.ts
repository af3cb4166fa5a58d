import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { Redis } from 'ioredis';
import type { BusProvider } from '../../src/core/ports/bus.js';
import { createRedisBus } from '../../src/providers/bus/redis-bus.js';
import { needService, unique } from '../contract/helpers.js';

/*
 * What the Redis bus adds over the bus contract (test/contract/bus.contract.ts, run by
 * redis-providers.int.test.ts) now that graphql-redis-subscriptions carries it: payloads cross Redis as
 * the exact strings given (no JSON encoding, so instances of the previous version interoperate during a
 * rolling upgrade), and the UNSUBSCRIBE it sends without awaiting cannot leave a rejection nobody
 * handles when Redis is away. A real Redis, started by scripts/services.sh; fails, never skips, without it.
 */
const URL = process.env.STATEGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CHANNEL_PREFIX = 'stategate:bus:';

/** Payloads that a JSON (de)serializer would change: JSON text of other types, and text that is not JSON. */
const PAYLOADS = [
  '{"a":1}',
  '"quoted"',
  '123',
  'null',
  'true',
  '[1,2]',
  'not json {',
  '',
  'ünïcødé ✓ 🚀',
  ' {"a": 1} ',
];

describe('redis bus on graphql-redis-subscriptions', () => {
  let bus: BusProvider;
  let raw: Redis;

  beforeAll(async () => {
    bus = await needService('redis', createRedisBus({ url: URL }));
    raw = new Redis(URL);
  });

  afterAll(async () => {
    await bus?.close();
    raw?.disconnect();
  });

  it('publishes each payload as exactly its string: a plain Redis subscriber receives the same text', async () => {
    const topic = unique('wire');
    const listener = new Redis(URL);
    try {
      const got: string[] = [];
      const all = new Promise<void>((resolve) => {
        listener.on('message', (_channel: string, message: string) => {
          got.push(message);
          if (got.length === PAYLOADS.length) resolve();
        });
      });
      await listener.subscribe(CHANNEL_PREFIX + topic);
      for (const payload of PAYLOADS) await bus.publish(topic, payload);
      await all;
      expect(got).toEqual(PAYLOADS);
    } finally {
      listener.disconnect();
    }
  });

  it('hands a handler exactly the text a plain Redis PUBLISH sent (what an instance of the previous version sends)', async () => {
    const topic = unique('plain');
    const got: string[] = [];
    let done!: () => void;
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    const unsubscribe = await bus.subscribe(topic, (payload) => {
      got.push(payload);
      if (got.length === PAYLOADS.length) done();
    });
    for (const payload of PAYLOADS) await raw.publish(CHANNEL_PREFIX + topic, payload);
    await all;
    await unsubscribe();
    expect(got).toEqual(PAYLOADS);
  });

  it('an unsubscribe while Redis is unreachable fails UNAVAILABLE and leaves no unhandled rejection', async () => {
    // A TCP hop to Redis that the test can cut: closing it makes Redis unreachable for this bus only.
    const redis = new globalThis.URL(URL);
    const sockets = new Set<Socket>();
    const proxy: Server = createServer((client) => {
      const upstream = tcpConnect(Number(redis.port || 6379), redis.hostname);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as { port: number }).port;
    const cut = await createRedisBus({ url: `redis://127.0.0.1:${port}` });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const unsubscribe = await cut.subscribe(unique('cut'), () => {});
      const closed = new Promise<void>((resolve) => proxy.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expect(unsubscribe()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      // Long enough for a rejected promise nobody awaits to be reported.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await cut.close();
    }
  });
});
