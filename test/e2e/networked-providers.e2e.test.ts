import { errorCode, gql, wsClient } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';

const REDIS = process.env.STATEGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const NATS = process.env.STATEGATE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** The whole server on networked providers, configured the seed's way (run scripts/services.sh up first). */
describe.each([
  ['redis cache, mutex and bus', { STATEGATE_CACHE_PROVIDER: JSON.stringify({ name: 'redis', addr: REDIS }) }],
  [
    'redis cache and mutex, nats bus',
    {
      STATEGATE_CACHE_PROVIDER: JSON.stringify({ name: 'redis', addr: REDIS }),
      STATEGATE_CHANNEL_PROVIDER: JSON.stringify({ name: 'nats', addr: NATS }),
    },
  ],
  // The channel provider defaults to the cache provider: cache, mutex and bus all on NATS.
  ['nats cache, mutex and bus', { STATEGATE_CACHE_PROVIDER: JSON.stringify({ name: 'nats', addr: NATS }) }],
])('a server on %s', (_name, env) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(env);
  });
  afterAll(() => server?.close());
  const ns = `net-${Math.random().toString(36).slice(2, 10)}`;

  it('keeps cache values and refuses a held lock', async () => {
    const set = await gql(server.httpUrl, `mutation { setCache(input: {domain: "${ns}", key: "k", value: {a: 1}}) }`);
    expect(set.data).toEqual({ setCache: true });
    const got = await gql(server.httpUrl, `{ getCache(input: {domain: "${ns}", key: "k"}) { value } }`);
    expect(got.data).toEqual({ getCache: { value: { a: 1 } } });
    const lock = `mutation { lockMutex(input: {domain: "${ns}", key: "m"}) { fencing } }`;
    const first = await gql(server.httpUrl, lock);
    expect(first.errors).toBeUndefined();
    expect(errorCode(await gql(server.httpUrl, lock))).toBe('ALREADY_EXISTS');
  });

  it('delivers peer messages and events over the networked bus', async () => {
    const client = wsClient(server.wsUrl);
    try {
      const received: unknown[] = [];
      const done = new Promise<void>((resolve, reject) => {
        client.subscribe(
          { query: `subscription { streamMessages(input: {domain: "${ns}"}) { type body } }` },
          {
            next: (v) => {
              received.push(v.data);
              if (received.length === 1) resolve();
            },
            error: reject,
            complete: () => {},
          },
        );
      });
      // Broadcast until the subscription is live (subscriptions are not acknowledged).
      for (let i = 0; i < 50 && received.length === 0; i++) {
        await gql(
          server.httpUrl,
          `mutation { broadcastMessage(input: {domain: "${ns}", channel: "c", type: "t", body: {n: 1}}) }`,
        );
        await new Promise((r) => setTimeout(r, 100));
      }
      await done;
      expect(received[0]).toEqual({ streamMessages: { type: 't', body: { n: 1 } } });
    } finally {
      await client.dispose();
    }
  });
});
