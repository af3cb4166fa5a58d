/**
 * Many instances (issue 4 item 5): three stategate processes sharing one PostgreSQL schema and one Redis,
 * and again PostgreSQL with a NATS bus. Every stream is read over graphql-ws from a real process.
 */
import { errorCode, gql } from '../support/graphql.js';
import {
  type Cluster,
  COMBOS,
  duplicates,
  expectOpenWithoutDuplicates,
  type Instance,
  LOCK,
  ofType,
  openStream,
  probeUntil,
  type Stream,
  set,
  startCluster,
  UNLOCK,
  unique,
  waitForEach,
  waitUntil,
} from './cluster-helpers.js';

describe.each(COMBOS)('three instances on %s', (_name, env) => {
  let cluster: Cluster;
  let A: Instance;
  let B: Instance;
  let C: Instance;
  const streams: Stream[] = [];
  beforeAll(async () => {
    cluster = await startCluster(env);
    [A, B, C] = cluster.instances as [Instance, Instance, Instance];
  }, 60_000);
  afterEach(async () => {
    await Promise.all(streams.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a write on A reaches the streams on A, B and C exactly once each, in order', async () => {
    const domain = unique('fan');
    const open = [A, B, C].map((i) => openStream(i, { domain }));
    streams.push(...open);
    const probes = await probeUntil(
      [A, B, C],
      domain,
      () => open.every((s) => s.events().length > 0),
      'a probe on every stream',
    );

    const N = 60;
    for (let i = 0; i < N; i++) await set(A, domain, 'doc', `k${i % 7}`, { seq: i });
    await waitForEach(open, 'doc', N);
    // Let anything that would arrive twice arrive.
    await new Promise((r) => setTimeout(r, 600));
    for (const s of open) {
      const events = s.events();
      expectOpenWithoutDuplicates(s);
      const positions = events.map((e) => Number(e.position));
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
      const docs = events.filter((e) => e.entity.type === 'doc');
      expect(docs.map((e) => e.entity.values.seq)).toEqual(Array.from({ length: N }, (_, i) => i));
      // Per entity, versions follow one another (G2): k0 got writes 0, 7, 14, … as versions 1, 2, 3, …
      const k0 = docs.filter((e) => e.entity.key === 'k0').map((e) => Number(e.entity.version));
      expect(k0).toEqual(Array.from({ length: k0.length }, (_, i) => i + 1));
      expect(events.filter((e) => e.entity.type === 'probe').length).toBeLessThanOrEqual(probes);
    }
  });

  it('a consumer group with members on A, B and C delivers each event to exactly one member', async () => {
    const domain = unique('group');
    const members = [A, A, B, B, C, C].map((i, n) => openStream(i, { domain, consumer_group: 'g' }, `${i.name}${n}`));
    streams.push(...members);
    // Probes round robin over the writers: each instance wins the claims of its own writes first, so
    // every instance's members get some, and once each member has one, all are live.
    await probeUntil([A, B, C], domain, () => members.every((m) => m.events().length > 0), 'a probe on every member');

    const N = 90;
    const writers = [A, B, C];
    await Promise.all(
      writers.map(async (w, wi) => {
        for (let i = wi; i < N; i += writers.length) await set(w, domain, 'job', `j${i}`, { n: i });
      }),
    );
    const jobs = () => members.flatMap((m) => ofType(m, 'job'));
    await waitUntil(() => jobs().length >= N, `${N} jobs delivered across the group (has ${jobs().length})`);
    await new Promise((r) => setTimeout(r, 600));

    const delivered = jobs();
    expect(duplicates(delivered.map((e) => e.id))).toEqual([]);
    expect(delivered).toHaveLength(N);
    expect(new Set(delivered.map((e) => e.entity.values.n))).toEqual(new Set(Array.from({ length: N }, (_, i) => i)));
    const perInstance = new Map<string, number>();
    for (const m of members) {
      expect({ member: m.label, ended: m.ended() }).toEqual({ member: m.label, ended: null });
      const n = ofType(m, 'job').length;
      perInstance.set(m.label[0]!, (perInstance.get(m.label[0]!) ?? 0) + n);
    }
    // Each instance's members took part (each instance's own writes reach its members first).
    expect([...perInstance.keys()].sort()).toEqual(['A', 'B', 'C']);
    for (const [instance, n] of perInstance) expect({ instance, some: n > 0 }).toEqual({ instance, some: true });
  });

  it('a mutex is exclusive across instances and its fencing number rises with every grant', async () => {
    const domain = unique('mutex');
    const fencings: number[] = [];
    for (let round = 0; round < 5; round++) {
      // Five lock calls on each instance at once: exactly one of the fifteen is granted.
      const calls = [A, B, C].flatMap((i) =>
        Array.from({ length: 5 }, () =>
          gql<{ lockMutex: { token: string; fencing: string } }>(i.http, LOCK, { input: { domain, key: 'm' } }).then(
            (res) => ({ instance: i, res }),
          ),
        ),
      );
      const results = await Promise.all(calls);
      const granted = results.filter((r) => !r.res.errors && r.res.data?.lockMutex);
      const refused = results.filter((r) => errorCode(r.res) === 'ALREADY_EXISTS');
      expect({ round, granted: granted.length, refused: refused.length }).toEqual({ round, granted: 1, refused: 14 });
      const lease = granted[0]!.res.data!.lockMutex;
      fencings.push(Number(lease.fencing));
      // Released on a different instance from the one that granted it.
      const other = [A, B, C].find((i) => i !== granted[0]!.instance)!;
      const unlock = await gql(other.http, UNLOCK, { input: { domain, key: 'm', token: lease.token } });
      expect(unlock.data).toEqual({ unlockMutex: true });
    }
    expect(fencings.every((f, i) => i === 0 || f > fencings[i - 1]!)).toBe(true);
  });
});
