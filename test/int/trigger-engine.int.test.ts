import type { StorageProvider } from '../../src/core/ports/storage.js';
import { hasTriggerStore, type TriggerStore } from '../../src/core/ports/trigger-store.js';
import { LEASE_DOMAIN } from '../../src/core/triggers/lease.js';
import { TriggerEngine } from '../../src/core/triggers/trigger-engine.js';
import { validateTrigger } from '../../src/core/triggers/validate-trigger.js';
import { createMemoryMutex, type MemoryMutex } from '../../src/providers/mutex/memory-mutex.js';
import { createSqliteStorage } from '../../src/providers/storage/sqlite/index.js';
import { createWebhookSender } from '../../src/server/triggers/webhook-sender.js';
import { intent } from '../contract/storage.contract.js';
import { consecutive, firstArrivalVersions, type Receiver, startReceiver, waitUntil } from '../e2e/trigger-helpers.js';

/**
 * The delivery engine in process: two engines on one storage and one mutex stand for two instances, so the
 * lease, the takeover and the fencing of a stale holder can be driven directly. Real sqlite, real mutex,
 * real HTTP to a real receiver.
 */
let storage: StorageProvider;
let store: TriggerStore;
let mutex: MemoryMutex;
let receiver: Receiver;
const sender = createWebhookSender({ allowPrivate: true });
const engines: TriggerEngine[] = [];

beforeEach(async () => {
  storage = createSqliteStorage({ path: ':memory:' });
  if (!hasTriggerStore(storage)) throw new Error('no trigger store');
  store = storage.triggerStore();
  await store.open();
  mutex = createMemoryMutex();
  receiver = await startReceiver();
});

afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  await receiver.stop();
  await mutex.close();
  await storage.close();
});
afterAll(() => sender.close());

function engine(): TriggerEngine {
  const created = new TriggerEngine(
    store,
    mutex,
    {
      store,
      log: storage,
      sender,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      metrics: { count() {}, observe() {}, add() {} },
    },
    { concurrency: 4, leaseMs: 1000, scanMs: 100, pollMs: 20 },
  );
  engines.push(created);
  created.start();
  return created;
}

async function addTrigger(name: string) {
  const spec = validateTrigger(
    { name, url: receiver.url, domain: 'd', type: '*', secret: receiver.secret },
    { globLength: 256 },
  );
  await store.create(spec, await storage.headPosition(), Date.now());
}

async function write(entities: number, versions: number) {
  for (let v = 1; v <= versions; v++) {
    await Promise.all(
      Array.from({ length: entities }, (_, e) =>
        storage.append(intent.set({ domain: 'd', type: 't', key: `k${e}` }, { v })),
      ),
    );
  }
}

it('two engines on one trigger: one delivers, each event once, each entity in version order', async () => {
  await addTrigger('one');
  engine();
  engine();
  await write(5, 20);
  await waitUntil('100 deliveries', () => receiver.ids().size === 100);
  expect(receiver.deliveries.length).toBe(100);
  for (const versions of firstArrivalVersions(receiver.deliveries).values()) expect(versions).toEqual(consecutive(20));
  await waitUntil('the cursor', async () => (await store.get('one'))!.position === (await storage.headPosition()));
});

it('a holder whose lease was taken stops, and the new holder (a later epoch) resumes from the cursor', async () => {
  await addTrigger('taken');
  receiver.answer = () => ({ status: 200, delayMs: 5 });
  const first = engine();
  await write(4, 10);
  await waitUntil('the first holder delivering', () => receiver.deliveries.length > 0);
  const epochBefore = (await store.get('taken'))!.epoch;
  // Another instance takes the lease (as after a pause longer than the TTL): released under the holder.
  await mutex.unlock({ domain: LEASE_DOMAIN, key: 'taken' });
  engine();
  await waitUntil('a later claim', async () => (await store.get('taken'))!.epoch > epochBefore);
  // The first holder's writes are fenced off by the epoch now: it can no longer move the cursor.
  expect(await store.saveProgress('taken', epochBefore, { position: 1e9, lastError: null, attempts: 0 })).toBe(false);
  await write(4, 10);
  await waitUntil('every event', () => receiver.ids().size === 80);
  for (const versions of firstArrivalVersions(receiver.deliveries).values()) expect(versions).toEqual(consecutive(20));
  // The cursor is saved a moment after the last acknowledgement.
  await waitUntil(
    'the cursor past every event',
    async () => (await store.get('taken'))!.position === (await storage.headPosition()),
  );
  await first.close();
});

it('close releases the lease at once: another engine takes over without waiting for the TTL', async () => {
  await addTrigger('handover');
  const first = engine();
  await write(2, 2);
  await waitUntil('the first deliveries', () => receiver.ids().size === 4);
  await first.close();
  // The lease is free right away (a TTL-bound lock would still be held for up to a second).
  const probe = await mutex.lock({ domain: LEASE_DOMAIN, key: 'handover' }, 1000);
  expect(probe).not.toBeNull();
  await mutex.unlock({ domain: LEASE_DOMAIN, key: 'handover', token: probe!.token });
  engine();
  await write(2, 2);
  await waitUntil('the rest', () => receiver.ids().size === 8);
});
