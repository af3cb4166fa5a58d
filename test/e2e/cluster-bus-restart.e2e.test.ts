/**
 * G5 across instances: the service under the bus, cache and mutex (Redis, or NATS) restarts while three
 * stategate processes keep writing. No stream misses an event (the log fills what the bus lost), no
 * stream that stayed connected gets one twice, a consumer group still delivers each event once, and mutex
 * fencing keeps rising across the restart (Redis runs with AOF, see scripts/services.sh; NATS keeps its
 * JetStream KV on disk).
 */
import { errorCode, gql } from '../support/graphql.js';
import {
  type Cluster,
  COMBOS,
  duplicates,
  expectOpenWithoutDuplicates,
  type Instance,
  LOCK,
  lockAndUnlock,
  ofType,
  openSoloAndGroup,
  SET,
  type Stream,
  service,
  sleep,
  startCluster,
  unique,
  waitForEach,
  waitUntil,
} from './cluster-helpers.js';
import { allEvents } from './guarantees-helpers.js';

describe.each(COMBOS)('three instances on %s, the bus restarting', (name, env, restarted) => {
  // A consumer-group claim in flight when NATS dies waits out the client's 5 s request timeout before
  // the group falls back to the log, and the tailer waits with it; the outage outlasts that.
  const outageMs = restarted.includes('nats') ? 6000 : 2000;
  let cluster: Cluster;
  const streams: Stream[] = [];
  beforeAll(async () => {
    cluster = await startCluster(env);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(streams.splice(0).map((s) => s.close()));
    await cluster?.stop();
    // Leave the services running for the next test file whatever happened.
    for (const s of restarted) await service('up', s);
  }, 60_000);

  it(`loses no event and duplicates none while ${restarted.join(' and ')} restart${restarted.length > 1 ? '' : 's'}`, async () => {
    const [A, B, C] = cluster.instances as [Instance, Instance, Instance];
    const domain = unique('restart');
    const { solo, group } = await openSoloAndGroup([A, B, C], domain, streams);

    const fencingBefore = await lockAndUnlock(A, domain, 'fence');

    // Two writers, on A and on B, each waiting for its acknowledgement before the next write.
    const acked: string[] = [];
    const failed: string[] = [];
    let down = false;
    let ackedWhileDown = 0;
    let writing = true;
    const writer = async (w: Instance) => {
      for (let i = 0; writing; i++) {
        const res = await gql(w.http, SET, {
          input: { domain, type: 'w', key: `${w.name}${i % 5}`, values: { w: w.name, i } },
        });
        if (res.errors) failed.push(`${w.name}:${i} ${errorCode(res)}`);
        else {
          acked.push(`${w.name}:${i}`);
          if (down) ackedWhileDown += 1;
        }
        await sleep(10);
      }
    };
    const writers = Promise.all([writer(A), writer(B)]);

    let lockWhileDown: string | undefined;
    let atDown: number[] = [];
    let beforeUp: number[] = [];
    try {
      await sleep(700);
      for (const s of restarted) await service('down', s);
      down = true;
      atDown = solo.map((s) => s.events().length);
      await sleep(300);
      // The mutex needs its service: it says so rather than hanging or granting blindly.
      lockWhileDown = errorCode(await gql(C.http, LOCK, { input: { domain, key: 'fence' } }));
      await sleep(outageMs);
      beforeUp = solo.map((s) => s.events().length);
    } finally {
      down = false;
      for (const s of restarted) await service('up', s);
    }
    await sleep(1500);
    writing = false;
    await writers;

    expect(failed).toEqual([]);
    expect(lockWhileDown).toBe('UNAVAILABLE');
    expect(ackedWhileDown).toBeGreaterThan(0);
    // Streams do not wait for the bus: each solo stream got events while it was down (by polling the log),
    // although every instance has a consumer-group member whose claims were failing meanwhile.
    expect(solo.map((s, i) => ({ stream: s.label, gotWhileDown: beforeUp[i]! > atDown[i]! }))).toEqual(
      solo.map((s) => ({ stream: s.label, gotWhileDown: true })),
    );

    const tag = (e: { entity: { values: Record<string, unknown> } }) => `${e.entity.values.w}:${e.entity.values.i}`;
    const writes = (s: Stream) => ofType(s, 'w');
    await waitForEach(solo, 'w', acked.length);
    const grouped = () => group.flatMap(writes);
    await waitUntil(
      () => grouped().length >= acked.length,
      `${acked.length} writes across the group (has ${grouped().length})`,
    );
    // A few poll rounds for anything that would arrive twice.
    await sleep(1000);

    // The log holds exactly the acknowledged writes.
    const log = await allEvents(C.http, domain, 'w');
    expect(log.map((e) => `${e.entity.values.w}:${e.entity.values.i}`).sort()).toEqual([...acked].sort());
    const logOrder = log.map((e) => e.id);

    for (const s of solo) {
      expectOpenWithoutDuplicates(s);
      // Every write, once, in log order.
      expect({ stream: s.label, ids: writes(s).map((e) => e.id) }).toEqual({ stream: s.label, ids: logOrder });
    }
    for (const s of group) expect({ member: s.label, ended: s.ended() }).toEqual({ member: s.label, ended: null });
    expect(duplicates(grouped().map((e) => e.id))).toEqual([]);
    expect(grouped().map(tag).sort()).toEqual([...acked].sort());

    // Fencing survives the restart: the next grant is above every earlier one (G7).
    const after = await gql<{ lockMutex: { token: string; fencing: string } }>(B.http, LOCK, {
      input: { domain, key: 'fence' },
    });
    expect(after.errors).toBeUndefined();
    expect(Number(after.data!.lockMutex.fencing)).toBeGreaterThan(fencingBefore);

    console.info(
      `${name}: ${acked.length} writes acknowledged, ${ackedWhileDown} of them while ${restarted.join('+')} was down`,
    );
  }, 90_000);
});
