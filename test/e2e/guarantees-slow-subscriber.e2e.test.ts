/**
 * A slow subscriber has a bounded buffer: when it overflows, that subscriber alone is cut off with
 * RESOURCE_EXHAUSTED (DESIGN.md §3 Streams), server memory stays bounded, and everybody else still gets
 * every event in order.
 */
import { collect, gql, wsClient } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  ok,
  RawGraphqlWs,
  SET_ENTITY,
  STREAM_EVENTS,
  sleep,
  strictlyIncreasing,
  waitUntil,
} from './guarantees-helpers.js';

const BUFFER = 16;
const EVENTS = 400;
/** ~64 KB per event: 400 of them (25 MB) are far more than the kernel's socket buffers hold. */
const BLOB = 'x'.repeat(64 * 1024);
const domain = 'slow';
const LIGHT_STREAM = 'subscription S($input: StreamEventOpts!) { streamEvents(input: $input) { id position } }';
const LIGHT_SEARCH = 'query Q($input: SearchEventOpts!) { searchEvents(input: $input) { events { id position } } }';
const type = 'blob';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ STATEGATE_STREAM_BUFFER: String(BUFFER) });
});
afterAll(async () => {
  await server?.close();
});

interface NextPayload {
  data?: { streamEvents: { position: string; entity: { values: { i: number } } } } | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

test('a subscriber that stops reading is cut off with RESOURCE_EXHAUSTED; the others get everything', async () => {
  const stats = () => server.app.stategate.stats();

  // The slow one: a hand-written graphql-ws client whose TCP socket stops being read.
  const slow = new RawGraphqlWs(server.wsUrl);
  const client = wsClient(server.wsUrl);
  try {
    await run(slow, client);
  } finally {
    slow.close();
    await client.dispose();
  }
  await waitUntil(() => stats().eventSubscribers === 0, 'every stream was removed');
});

async function run(slow: RawGraphqlWs, client: ReturnType<typeof wsClient>): Promise<void> {
  const stats = () => server.app.stategate.stats();
  await slow.init();
  slow.subscribe('slow-1', STREAM_EVENTS, { input: { domain, type } });
  await waitUntil(() => stats().eventSubscribers === 1, 'the slow subscription is open');
  slow.pauseReading();

  // The normal one: graphql-ws's own client, reading as fast as events come.
  const reader = collect<{ streamEvents: { id: string; position: string } }>(client, LIGHT_STREAM, {
    input: { domain, type },
  });
  await waitUntil(() => stats().eventSubscribers === 2, 'the reading subscription is open');

  // Sample the buffered items after every write and on a timer while events flow.
  let maxBuffered = 0;
  const sample = () => {
    maxBuffered = Math.max(maxBuffered, stats().bufferedItems);
  };
  const sampler = setInterval(sample, 5);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < EVENTS) {
        const i = next++;
        ok(
          await gql(server.httpUrl, SET_ENTITY, {
            input: { domain, type, key: `k${i % 10}`, values: { i, blob: BLOB } },
          }),
          `set ${i}`,
        );
        sample();
      }
    }),
  );

  // The reader gets every event, in commit order, untouched by the stalled one.
  await reader.waitFor(EVENTS, 60_000);
  clearInterval(sampler);
  sample();
  expect(reader.items.filter((item) => item.errors)).toEqual([]);
  const positions = reader.items.map((item) => Number(item.data!.streamEvents.position));
  expect(strictlyIncreasing(positions)).toBe(true);
  const log = ok(
    await gql<{ searchEvents: { events: Array<{ id: string; position: string }> } }>(server.httpUrl, LIGHT_SEARCH, {
      input: { domain, type, limit: 1000 },
    }),
    'searchEvents',
  ).searchEvents.events;
  expect(log).toHaveLength(EVENTS);
  expect(reader.items.map((item) => item.data!.streamEvents.id)).toEqual(log.map((e) => e.id));

  // The stalled subscriber was removed and its buffer dropped: memory stayed bounded.
  await waitUntil(() => stats().eventSubscribers === 1, 'the slow subscriber was cut off');
  expect(maxBuffered).toBeLessThanOrEqual(BUFFER * 2);
  expect(stats().bufferedItems).toBeLessThanOrEqual(BUFFER);

  // Reading again, the slow client gets what the kernel held, then the reason it was cut off, then complete.
  const receivedBeforeResume = slow.messages.length;
  slow.resumeReading();
  await waitUntil(
    () => slow.messages.some((m) => m.type === 'complete' && m.id === 'slow-1'),
    'the slow stream completed',
  );
  const own = slow.messages.filter((m) => m.id === 'slow-1');
  const last = own[own.length - 1]!;
  const final = own[own.length - 2]!;
  expect(last.type).toBe('complete');
  expect(final.type).toBe('next');
  const failure = final.payload as NextPayload;
  expect(failure.errors?.[0]?.extensions?.code).toBe('RESOURCE_EXHAUSTED');
  expect(failure.errors?.[0]?.message).toMatch(/overflowed/);
  // Every item before the failure is an event, in order, and fewer than all of them arrived.
  const delivered = own.slice(0, -2).map((m) => m.payload as NextPayload);
  expect(delivered.every((p) => p.data?.streamEvents && !p.errors)).toBe(true);
  const slowPositions = delivered.map((p) => Number(p.data!.streamEvents.position));
  expect(strictlyIncreasing(slowPositions)).toBe(true);
  expect(slowPositions).toEqual(positions.slice(0, slowPositions.length));
  // What the server ever queued for the stalled socket is what the kernel held plus a message or two,
  // not the 25 MiB that were written: had it kept sending into a userland buffer, all 400 would arrive.
  expect(slowPositions.length).toBeLessThan(EVENTS);
  console.info(
    `slow subscriber: buffer ${BUFFER}, max buffered items seen ${maxBuffered}; ${receivedBeforeResume} messages ` +
      `read before the pause; ${slowPositions.length} of ${EVENTS} events ` +
      `(${((slowPositions.length * BLOB.length) / 2 ** 20).toFixed(1)} MiB) delivered before RESOURCE_EXHAUSTED`,
  );
  // The connection itself stays usable (only the stream was ended).
  await sleep(50);
  expect(slow.closed).toBeNull();
  reader.stop();
}
