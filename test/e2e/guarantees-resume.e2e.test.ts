/**
 * G6 — a stream resumed with `after` receives every event after that position exactly once, in position
 * order, across the replay→live handover, while 20 writers keep committing.
 */
import { collect, gql, wsClient } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { allEvents, ok, SET_ENTITY, STREAM_EVENTS, strictlyIncreasing, waitUntil } from './guarantees-helpers.js';

const domain = 'g6';
const type = 'item';
/** Bigger than the hub's replay read batch (500), so a replay takes several reads while writers commit. */
const FIRST_BATCH = 1200;
const WRITERS = 20;
/** Each writer keeps writing until it has made this many sets (so the subscriptions overlap the writes). */
const SETS_PER_WRITER = 40;
/**
 * Stored events are padded, and the subscriber buffer is small (64), so that a replay fills the socket and
 * the buffer: the server's writes then complete asynchronously, the replay waits for room at the reader's
 * pace, and new commits and the live tailer run in between. With small events and the default buffer a
 * whole replay runs within one turn of the event loop and the handover is never contested (a hub that
 * switched to live without checking the tailer's position then passed; with this setup it loses events).
 */
const PAD = 'p'.repeat(8 * 1024);
const BUFFER = 64;
/** Resumed subscriptions, opened at different moments while the writers write. */
const SUBSCRIPTIONS = 3;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ STATEGATE_STREAM_BUFFER: String(BUFFER) });
});
afterAll(async () => {
  await server?.close();
});

async function set(key: string, values: Record<string, unknown>): Promise<void> {
  ok(await gql(server.httpUrl, SET_ENTITY, { input: { domain, type, key, values } }), `set ${key}`);
}

/** Runs `count` sets, `concurrency` at a time. */
async function writeBatch(count: number, concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        await set(`first-${i % 97}`, { batch: 'first', i, pad: PAD });
      }
    }),
  );
}

test('G6: resumed streams get every event after P exactly once, in order, across the handover', async () => {
  await writeBatch(FIRST_BATCH, 16);
  const firstBatch = await allEvents(server.httpUrl, domain, type);
  expect(firstBatch).toHaveLength(FIRST_BATCH);
  // P in the first half of the first batch: each resumed stream replays 600+ stored events.
  const P = Number(firstBatch[FIRST_BATCH / 2 - 1]!.position);

  // 20 writers, each on its own keys, writing until each has made SETS_PER_WRITER sets.
  let written = 0;
  const writers = Array.from({ length: WRITERS }, async (_, w) => {
    for (let i = 0; i < SETS_PER_WRITER; i++) {
      await set(`writer-${w}-${i % 3}`, { writer: w, i });
      written++;
    }
  });

  // Open the resumed subscriptions while the writers write, spread over the writing.
  const client = wsClient(server.wsUrl);
  const streams: Array<ReturnType<typeof collect<{ streamEvents: { position: string; id: string } }>>> = [];
  const total = WRITERS * SETS_PER_WRITER;
  for (let s = 0; s < SUBSCRIPTIONS; s++) {
    await waitUntil(() => written >= (total * s) / (SUBSCRIPTIONS + 1), `${s} quarters written`);
    streams.push(collect(client, STREAM_EVENTS, { input: { domain, type, after: String(P) } }));
  }
  const writtenWhenLastOpened = written;
  await Promise.all(writers);
  const receivedWhenWritersStopped = streams.map((stream) => stream.items.length);

  // A sentinel after the writers stop: once a stream has it, everything before it has arrived too.
  await set('sentinel', { sentinel: true });
  const expected = await allEvents(server.httpUrl, domain, type, P);
  const last = expected[expected.length - 1]!;
  expect(last.entity.key).toBe('sentinel');
  expect(expected).toHaveLength(FIRST_BATCH / 2 + total + 1);
  console.info(
    `G6: P=${P}, ${expected.length} events after P; last subscription opened after ${writtenWhenLastOpened}/${total} concurrent sets; ` +
      `received by each stream when the writers stopped: ${receivedWhenWritersStopped.join(', ')}`,
  );

  for (const stream of streams) {
    await waitUntil(
      () =>
        stream.items.some((item) => item.data?.streamEvents.position === last.position) ||
        stream.items.length > expected.length,
      'the stream got the sentinel',
    );
    // Nothing can follow the sentinel, but give a stray duplicate the chance to show itself.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stream.items.filter((item) => item.errors)).toEqual([]);
    const positions = stream.items.map((item) => Number(item.data!.streamEvents.position));
    expect(strictlyIncreasing(positions)).toBe(true);
    expect(new Set(positions).size).toBe(positions.length);
    expect(positions).toEqual(expected.map((e) => Number(e.position)));
    expect(stream.items.map((item) => item.data!.streamEvents.id)).toEqual(expected.map((e) => e.id));
  }

  for (const stream of streams) stream.stop();
  await client.dispose();
  await waitUntil(() => server.app.stategate.stats().eventSubscribers === 0, 'the streams were removed');
});
