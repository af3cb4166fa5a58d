import { randomUUID } from 'node:crypto';
import { type StoredServerProcess, spawnStoredServer } from '../support/process.js';
import { rest } from '../support/rest.js';
import {
  consecutive,
  createTrigger,
  firstArrivalVersions,
  getTrigger,
  newSecret,
  type Receiver,
  setEntity,
  startReceiver,
  waitUntil,
} from './trigger-helpers.js';

/**
 * Event triggers against a real stategate process (sqlite) and real receivers on loopback, which verify
 * every signature with the `standardwebhooks` package. Loopback receivers need
 * STATEGATE_TRIGGERS_ALLOW_PRIVATE=true; the refusal of private targets is tested without it.
 */
let server: StoredServerProcess;
const receivers: Receiver[] = [];

beforeAll(async () => {
  server = await spawnStoredServer({ STATEGATE_AUTH_DISABLED: 'true', STATEGATE_TRIGGERS_ALLOW_PRIVATE: 'true' });
}, 30_000);

afterAll(async () => {
  await server?.close();
  for (const r of receivers) await r.stop();
});

async function receiver(secret?: string) {
  const r = await startReceiver(secret);
  receivers.push(r);
  return r;
}

/** Writes `versions` versions of each of `entities` entities (each entity's writes in sequence). */
async function write(domain: string, entities: number, versions: number) {
  await Promise.all(
    Array.from({ length: entities }, async (_, e) => {
      for (let v = 1; v <= versions; v++) await setEntity(server.url, domain, 'user', `u${e}`, { e, v });
    }),
  );
}

it('signs each delivery per Standard Webhooks, sends the event as protojson with its position, and never shows the secret', async () => {
  const r = await receiver();
  const domain = `d${randomUUID().slice(0, 8)}`;
  const created = await createTrigger(server.url, {
    name: `sig-${domain}`,
    url: r.url,
    domain,
    type: '*',
    secret: r.secret,
    headers: { authorization: 'Bearer receiver-token' },
  });
  expect(JSON.stringify(created)).not.toContain(r.secret);
  expect(JSON.stringify(created)).not.toContain('receiver-token');
  expect(created).toMatchObject({ name: `sig-${domain}`, headerNames: ['authorization'], key: '*' });
  await setEntity(server.url, domain, 'user', 'alice', { n: 1 });
  await setEntity(server.url, 'other-domain', 'user', 'bob', { n: 1 });
  await waitUntil('the delivery', () => r.deliveries.length >= 1);
  const [delivery] = r.deliveries;
  expect(r.badSignatures).toBe(0);
  expect(delivery).toMatchObject({ domain, type: 'user', key: 'alice', version: 1, values: { n: 1 } });
  expect(delivery!.position).toBeGreaterThan(0);
  expect(delivery!.headers['webhook-id']).toBe(delivery!.id);
  expect(delivery!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  expect(delivery!.headers.authorization).toBe('Bearer receiver-token');
  const listed = await rest(server.url, '/api/triggers');
  expect(listed.text).not.toContain(r.secret);
  expect(listed.text).toContain(`sig-${domain}`);
  // The same trigger cannot be created twice.
  const again = await rest(server.url, '/api/triggers', {
    method: 'POST',
    body: { name: `sig-${domain}`, url: r.url, domain, type: '*', secret: r.secret },
  });
  expect(again.status).toBe(409);
});

it('delivers every event after a receiver outage, each entity in version order, without duplicates', async () => {
  const r = await receiver();
  const domain = `d${randomUUID().slice(0, 8)}`;
  await createTrigger(server.url, {
    name: `down-${domain}`,
    url: r.url,
    domain,
    type: '*',
    secret: r.secret,
    maxAttempts: 1000,
  });
  await r.stop(); // down: connections refused while the writes happen
  await write(domain, 50, 20); // 1,000 writes, while every connection is refused
  await waitUntil(
    'failed attempts to show',
    async () => ((await getTrigger(server.url, `down-${domain}`)).status.attempts ?? 0) > 0,
  );
  const failing = await getTrigger(server.url, `down-${domain}`);
  expect(failing.status.lastError).toMatch(/ECONNREFUSED/);
  expect(Number(failing.status.lag)).toBeGreaterThan(0);
  await r.start();
  await waitUntil('all 1,000 events', () => r.ids().size === 1000, 120_000);
  const versions = firstArrivalVersions(r.deliveries);
  expect(versions.size).toBe(50);
  for (const got of versions.values()) expect(got).toEqual(consecutive(20));
  // Nothing reached the receiver while it was down, so nothing had to be sent twice.
  expect(r.deliveries.length).toBe(1000);
  await waitUntil(
    'the cursor to pass the writes',
    async () => (await getTrigger(server.url, `down-${domain}`)).status.lag === undefined,
  );
  const done = await getTrigger(server.url, `down-${domain}`);
  expect(done.status.lastError ?? '').toBe('');
}, 180_000);

it('honours Retry-After before the next attempt', async () => {
  const r = await receiver();
  const domain = `d${randomUUID().slice(0, 8)}`;
  r.answer = (_d, attempt) => (attempt === 1 ? { status: 503, headers: { 'retry-after': '3' } } : { status: 200 });
  await createTrigger(server.url, { name: `ra-${domain}`, url: r.url, domain, type: '*', secret: r.secret });
  await setEntity(server.url, domain, 'user', 'x', { n: 1 });
  await waitUntil('the retried delivery', () => r.deliveries.length === 1, 30_000);
  expect(r.attempts.length).toBe(2);
  // The backoff alone would have retried after 0.25-0.5 s; the receiver asked for 3 s.
  expect(r.attempts[1]!.at - r.attempts[0]!.at).toBeGreaterThanOrEqual(2900);
});

it('dead-letters an event after maxAttempts, keeps delivering the rest, and replays it on request', async () => {
  const r = await receiver();
  const domain = `d${randomUUID().slice(0, 8)}`;
  let refuse = true;
  r.answer = (d) => (refuse && d.key === 'bad' ? { status: 500, body: 'boom' } : { status: 200 });
  const name = `dl-${domain}`;
  await createTrigger(server.url, { name, url: r.url, domain, type: '*', secret: r.secret, maxAttempts: 3 });
  await setEntity(server.url, domain, 'user', 'bad', { n: 1 });
  await setEntity(server.url, domain, 'user', 'good', { n: 1 });
  await waitUntil(
    'the dead letter',
    async () => Number((await getTrigger(server.url, name)).status.deadLetterCount ?? 0) === 1,
    30_000,
  );
  const dead = await getTrigger(server.url, name);
  expect(r.attempts.filter((a) => a.key === 'bad').length).toBe(3);
  expect(dead.status.deadLetters).toEqual([
    expect.objectContaining({
      attempts: 3,
      lastError: 'HTTP 500: boom',
      eventId: r.attempts.find((a) => a.key === 'bad')!.id,
    }),
  ]);
  expect(r.deliveries.map((d) => d.key)).toEqual(['good']);

  refuse = false;
  const replayed = await rest(server.url, `/api/triggers/${name}/replay`, { method: 'POST', body: {} });
  expect(replayed.status).toBe(200);
  expect(replayed.body).toEqual({ replayed: 1 });
  await waitUntil('the replayed delivery', () => r.deliveries.some((d) => d.key === 'bad'), 30_000);
  await waitUntil(
    'the dead letter to go',
    async () => (await getTrigger(server.url, name)).status.deadLetterCount === undefined,
  );
  const unknown = await rest(server.url, '/api/triggers/no-such-trigger/replay', { method: 'POST', body: {} });
  expect(unknown.status).toBe(404);
});

it('a receiver that never answers slows neither writes nor another trigger', async () => {
  const slow = await receiver();
  const fast = await receiver();
  slow.answer = () => 'hang';
  const domain = `d${randomUUID().slice(0, 8)}`;
  await createTrigger(server.url, {
    name: `slow-${domain}`,
    url: slow.url,
    domain,
    type: '*',
    secret: slow.secret,
    timeoutMs: 120_000,
  });
  await createTrigger(server.url, { name: `fast-${domain}`, url: fast.url, domain, type: '*', secret: fast.secret });
  await write(domain, 10, 10); // every write acknowledged while the slow trigger is stuck
  await waitUntil('the fast trigger to get all 100', () => fast.ids().size === 100, 60_000);
  expect(slow.deliveries.length).toBe(0);
  expect(firstArrivalVersions(fast.deliveries).get(`${domain}/user/u3`)).toEqual(consecutive(10));
  await rest(server.url, `/api/triggers/slow-${domain}`, { method: 'DELETE' });
});

it('an entity whose events keep failing holds back neither the other entities nor their order', async () => {
  const r = await receiver();
  r.answer = (d) => (d.key === 'stuck' ? { status: 500, body: 'not today' } : { status: 200 });
  const domain = `d${randomUUID().slice(0, 8)}`;
  const name = `stuck-${domain}`;
  await createTrigger(server.url, { name, url: r.url, domain, type: '*', secret: r.secret, maxAttempts: 1000 });
  await setEntity(server.url, domain, 'user', 'stuck', { n: 1 });
  await write(domain, 10, 10);
  await waitUntil('the other 100 events', () => r.ids().size === 100, 60_000);
  expect(r.deliveries.some((d) => d.key === 'stuck')).toBe(false);
  for (const got of firstArrivalVersions(r.deliveries).values()) expect(got).toEqual(consecutive(10));
  // The cursor stays below the stuck event, and the status says why.
  const status = (await getTrigger(server.url, name)).status;
  expect(status.lastError).toBe('HTTP 500: not today');
  expect(status.attempts).toBeGreaterThan(0);
  expect(Number(status.lag)).toBeGreaterThanOrEqual(100);
  await rest(server.url, `/api/triggers/${name}`, { method: 'DELETE' });
});

it('deleteTrigger stops delivery and answers the trigger as it was; getTrigger then 404', async () => {
  const r = await receiver();
  const domain = `d${randomUUID().slice(0, 8)}`;
  const name = `del-${domain}`;
  await createTrigger(server.url, { name, url: r.url, domain, type: '*', secret: newSecret() });
  const deleted = await rest(server.url, `/api/triggers/${name}`, { method: 'DELETE' });
  expect(deleted.status).toBe(200);
  expect(deleted.body).toMatchObject({ name, url: r.url });
  expect((await rest(server.url, `/api/triggers/${name}`)).status).toBe(404);
});
