import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerProcess, spawnServer } from '../support/process.js';
import {
  consecutive,
  createTrigger,
  firstArrivalVersions,
  type Receiver,
  setEntity,
  sleep,
  startReceiver,
  waitUntil,
} from './trigger-helpers.js';

/** kill -9 of the delivering process mid-delivery, then a restart on the same database: nothing is lost. */
const dir = mkdtempSync(join(tmpdir(), 'stategate-trigger-crash-'));
const env = {
  STATEGATE_AUTH_DISABLED: 'true',
  STATEGATE_TRIGGERS_ALLOW_PRIVATE: 'true',
  STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'sqlite', path: join(dir, 'stategate.db') }),
};
let server: ServerProcess | null = null;
let receiver: Receiver;

afterAll(async () => {
  await server?.kill('SIGTERM');
  await receiver?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('re-delivers what was not acknowledged before the crash: every event arrives, each entity in version order', async () => {
  receiver = await startReceiver();
  // Slow acknowledgements (25 ms each), so the crash finds deliveries in flight.
  receiver.answer = () => ({ status: 200, delayMs: 25 });
  server = await spawnServer(env);
  const domain = `d${randomUUID().slice(0, 8)}`;
  await createTrigger(server.url, {
    name: `crash-${domain}`,
    url: receiver.url,
    domain,
    type: '*',
    secret: receiver.secret,
  });
  const entities = 10;
  const versions = 30;
  await Promise.all(
    Array.from({ length: entities }, async (_, e) => {
      for (let v = 1; v <= versions; v++) await setEntity(server!.url, domain, 'order', `o${e}`, { v });
    }),
  );
  // Mid-delivery: some events acknowledged, not all of them.
  await waitUntil('the first deliveries', () => receiver.deliveries.length >= 20);
  const beforeCrash = receiver.ids().size;
  await server.kill('SIGKILL');
  server = null;
  expect(beforeCrash).toBeLessThan(entities * versions);
  await sleep(200);
  server = await spawnServer(env);
  await waitUntil('every event after the restart', () => receiver.ids().size === entities * versions, 120_000);
  const order = firstArrivalVersions(receiver.deliveries);
  expect(order.size).toBe(entities);
  for (const got of order.values()) expect(got).toEqual(consecutive(versions));
  // Duplicates only come from the round the crash interrupted (its events may be sent again).
  const duplicates = receiver.deliveries.length - receiver.ids().size;
  expect(duplicates).toBeLessThanOrEqual(256);
  expect(receiver.badSignatures).toBe(0);
}, 180_000);
