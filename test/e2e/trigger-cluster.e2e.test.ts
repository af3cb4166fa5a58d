import { type ServerProcess, spawnServer } from '../support/process.js';
import { freshSchema, REDIS_URL } from './cluster-helpers.js';
import {
  consecutive,
  createTrigger,
  firstArrivalVersions,
  getTrigger,
  type Receiver,
  setEntity,
  startReceiver,
  waitUntil,
} from './trigger-helpers.js';

/**
 * Three stategate processes on one PostgreSQL schema and one Redis: each trigger is delivered by one
 * instance (a lease in the Redis mutex), so each event arrives once in normal running; when that instance
 * is killed, another takes the trigger over after the lease's TTL (STATEGATE_TRIGGERS_LEASE_MS, 2 s here)
 * and resumes from the durable cursor.
 */
let schema: Awaited<ReturnType<typeof freshSchema>>;
const instances: ServerProcess[] = [];
let receiver: Receiver;

beforeAll(async () => {
  schema = await freshSchema();
  const env = {
    STATEGATE_AUTH_DISABLED: 'true',
    STATEGATE_TRIGGERS_ALLOW_PRIVATE: 'true',
    STATEGATE_TRIGGERS_LEASE_MS: '2000',
    STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'postgres', addr: schema.url, poolSize: 4 }),
    STATEGATE_CACHE_PROVIDER: JSON.stringify({ name: 'redis', addr: REDIS_URL }),
    STATEGATE_CHANNEL_PROVIDER: JSON.stringify({ name: 'redis', addr: REDIS_URL }),
  };
  for (let i = 0; i < 3; i++) instances.push(await spawnServer(env, 30_000));
  receiver = await startReceiver();
}, 120_000);

afterAll(async () => {
  await Promise.all(instances.map((p) => p.kill('SIGTERM')));
  await receiver?.stop();
  await schema?.drop();
});

/** Writes `versions` versions of `entities` entities, spreading the writes over the live instances. */
async function write(live: ServerProcess[], tag: string, entities: number, versions: number) {
  await Promise.all(
    Array.from({ length: entities }, async (_, e) => {
      for (let v = 1; v <= versions; v++) {
        await setEntity(live[(e + v) % live.length]!.url, 'shop', 'cart', `${tag}${e}`, { v });
      }
    }),
  );
}

const deliverer = (name: string) =>
  instances.findIndex((p) =>
    p.logs.some((l) => l.trigger === name && l.msg === 'trigger: delivering from this instance'),
  );

it('delivers each event once across three instances, and resumes on another when the delivering one is killed', async () => {
  const name = 'cluster-orders';
  await createTrigger(instances[0]!.url, {
    name,
    url: receiver.url,
    domain: 'shop',
    type: 'cart',
    secret: receiver.secret,
  });
  await write(instances, 'a', 10, 10);
  await waitUntil('100 deliveries', () => receiver.ids().size === 100, 60_000);
  // Every instance sees the trigger, one delivers it: no event twice in normal running.
  expect(receiver.deliveries.length).toBe(100);
  for (const p of instances) expect((await getTrigger(p.url, name)).name).toBe(name);
  const first = deliverer(name);
  expect(first).toBeGreaterThanOrEqual(0);
  const delivering = instances.filter((p) =>
    p.logs.some((l) => l.trigger === name && l.msg === 'trigger: delivering from this instance'),
  );
  expect(delivering.length).toBe(1);

  await instances[first]!.kill('SIGKILL');
  const live = instances.filter((_, i) => i !== first);
  await write(live, 'b', 10, 10);
  await waitUntil('the 100 written after the kill', () => receiver.ids().size === 200, 90_000);
  const order = firstArrivalVersions(receiver.deliveries);
  for (const [entity, versions] of order) expect([entity, versions]).toEqual([entity, consecutive(10)]);
  const takeover = live.find((p) =>
    p.logs.some((l) => l.trigger === name && l.msg === 'trigger: delivering from this instance'),
  );
  expect(takeover).toBeDefined();
  expect(receiver.badSignatures).toBe(0);
}, 240_000);
