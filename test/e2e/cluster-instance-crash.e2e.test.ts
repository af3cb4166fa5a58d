/**
 * G5 when the writing instance dies: A is SIGKILLed while clients write to it, so the bus hints of its
 * last commits may never go out. The streams on B and C still get every event A committed (the log is the
 * source), each once and in log order, and a consumer group spread over B and C gets each once. A stream
 * that was on A resumes on B from its last position (G6 across instances).
 */
import { gql } from '../support/graphql.js';
import {
  type Cluster,
  COMBOS,
  expectEachOnce,
  type Instance,
  ofType,
  openStream,
  probeUntil,
  SET,
  type Stream,
  set,
  sleep,
  startCluster,
  unique,
  waitForEach,
  waitUntil,
} from './cluster-helpers.js';
import { allEvents } from './guarantees-helpers.js';

const [comboName, comboEnv] = COMBOS[0]!;

describe(`three instances on ${comboName}, the writing instance killed`, () => {
  let cluster: Cluster;
  const streams: Stream[] = [];
  beforeAll(async () => {
    cluster = await startCluster(comboEnv);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(streams.splice(0).map((s) => s.close()));
    await cluster?.stop();
  });

  it("every event A committed before dying reaches the streams on B and C once each, in order; A's stream resumes on B", async () => {
    const [A, B, C] = cluster.instances as [Instance, Instance, Instance];
    const domain = unique('crash');
    const solo = [B, C].map((i) => openStream(i, { domain }, `solo@${i.name}`));
    const group = [B, B, C, C].map((i, n) => openStream(i, { domain, consumer_group: 'g' }, `group@${i.name}${n}`));
    // A stream on A itself, which dies with A and is resumed on B from its last position (G6).
    const onA = openStream(A, { domain }, 'solo@A');
    streams.push(...solo, ...group, onA);
    await probeUntil(
      [B, C],
      domain,
      () => [...solo, ...group, onA].every((s) => s.events().length > 0),
      'a probe on every stream and group member',
    );

    // Eight clients write to A as fast as it answers; A dies under them.
    const acked: string[] = [];
    let stop = false;
    const client = async (c: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await gql(A.http, SET, { input: { domain, type: 'w', key: `c${c}`, values: { c, i } } });
          if (!res.errors) acked.push(`${c}:${i}`);
        } catch {
          return; // the connection to A broke: A is gone
        }
      }
    };
    const clients = Promise.all(Array.from({ length: 8 }, (_, c) => client(c)));
    await waitUntil(() => acked.length >= 50, '50 writes acknowledged by A before the kill');
    await A.process.kill('SIGKILL');
    stop = true;
    await clients;
    await waitUntil(() => onA.ended() !== null, 'the stream on A to end with A');
    const lastSeenOnA = onA.events().at(-1)!.position;
    const resumed = openStream(B, { domain, after: lastSeenOnA }, 'resumed@B');
    streams.push(resumed);
    // Life goes on at B: its writes follow A's in the log.
    for (let i = 0; i < 5; i++) await set(B, domain, 'w', 'b', { b: i });

    const log = await allEvents(C.http, domain, 'w');
    const logTags = new Set(
      log.map((e) => ('c' in e.entity.values ? `${e.entity.values.c}:${e.entity.values.i}` : '')),
    );
    // G1: every acknowledged write is in the log (a write A committed but never answered may be there too).
    expect(acked.filter((t) => !logTags.has(t))).toEqual([]);
    const ids = log.map((e) => e.id);

    const writes = (s: Stream) => ofType(s, 'w');
    const continued = () => [...writes(onA), ...writes(resumed)];
    await waitUntil(() => continued().length >= ids.length, `${ids.length} events on A's stream and its resumption`);
    await waitForEach(solo, 'w', ids.length);
    const grouped = () => group.flatMap(writes);
    await waitUntil(
      () => grouped().length >= ids.length,
      `${ids.length} events across the group (has ${grouped().length})`,
    );
    await sleep(600);

    for (const s of solo) {
      expect({ stream: s.label, ended: s.ended() }).toEqual({ stream: s.label, ended: null });
      expect({ stream: s.label, ids: writes(s).map((e) => e.id) }).toEqual({ stream: s.label, ids });
    }
    // What the stream on A got before A died, then its resumption on B: every event once, in order.
    expect(continued().map((e) => e.id)).toEqual(ids);
    expectEachOnce(grouped(), ids);
    console.info(`instance killed: ${acked.length} writes acknowledged by A, ${log.length - 5} of A's in the log`);
  }, 90_000);
});
