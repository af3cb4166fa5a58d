/**
 * PostgreSQL goes away under three stategate processes: writes fail fast with UNAVAILABLE (GraphQL and
 * gRPC) and are never acknowledged; once PostgreSQL is back, the same processes accept writes again
 * without a restart, the failed writes are nowhere, and the streams opened before the outage continue.
 * Meanwhile readiness says so: /readyz 503 and gRPC health NOT_SERVING during the outage, then ready again.
 */
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import type * as grpc from '@grpc/grpc-js';
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '../../src/generated/grpc/health/v1/health_pb.js';
import { collect, errorCode, type GraphqlResponse, gql, wsClient } from '../support/graphql.js';
import { GrpcClient, toStruct } from '../support/grpc.js';
import {
  type Cluster,
  COMBOS,
  expectOpenWithoutDuplicates,
  type FreezingProxy,
  freezingProxy,
  type Instance,
  openStream,
  PG_URL,
  probeUntil,
  SET,
  STREAM,
  type Stream,
  service,
  set,
  sleep,
  startCluster,
  unique,
  waitUntil,
} from './cluster-helpers.js';
import { allEvents, getEntity } from './guarantees-helpers.js';

/**
 * How long a write may take to fail while PostgreSQL is down. Generous on purpose: it tells failing
 * fast (an error within seconds) from hanging (no answer until some far timeout), not a speed target.
 */
const FAIL_FAST_MS = 8000;

const [comboName, comboEnv] = COMBOS[0]!;

/** GET /readyz of an instance: its status code and body. */
async function readyz(i: Instance): Promise<{ http: number; body: ReadyzBody }> {
  const res = await fetch(`${i.process.url}/readyz`, { signal: AbortSignal.timeout(5_000) });
  return { http: res.status, body: (await res.json()) as ReadyzBody };
}
type ReadyzBody = { status: string; checks: Record<string, { ok: boolean; error?: string }> };

/** gRPC health (over Connect) of an instance: Check by service name, and a Watch that records changes. */
function healthOf(i: Instance) {
  const client = createClient(Health, createConnectTransport({ baseUrl: i.process.url, httpVersion: '1.1' }));
  return {
    check: async (service = '') => ServingStatus[(await client.check({ service })).status],
    watch(service = '') {
      const statuses: string[] = [];
      const stop = new AbortController();
      const done = (async () => {
        try {
          for await (const r of client.watch({ service }, { signal: stop.signal }))
            statuses.push(ServingStatus[r.status]!);
        } catch {
          // ended by stop() or by the server
        }
      })();
      return {
        statuses,
        stop: () => {
          stop.abort();
          return done;
        },
      };
    },
  };
}

describe(`three instances on ${comboName}, PostgreSQL stopping`, () => {
  let cluster: Cluster;
  const streams: Stream[] = [];
  const grpcClients: GrpcClient[] = [];
  beforeAll(async () => {
    cluster = await startCluster(comboEnv);
  }, 60_000);
  afterAll(async () => {
    for (const c of grpcClients) c.close();
    await Promise.all(streams.splice(0).map((s) => s.close()));
    // Whatever happened, PostgreSQL runs again for the next test file.
    await service('up', 'postgres');
    await cluster?.stop();
  }, 60_000);

  it('fails writes fast with UNAVAILABLE, acknowledges none, and recovers without a restart', async () => {
    const [A, B, C] = cluster.instances as [Instance, Instance, Instance];
    const domain = unique('pgdown');
    const solo = [A, B, C].map((i) => openStream(i, { domain }, `solo@${i.name}`));
    streams.push(...solo);
    await probeUntil([A, B, C], domain, () => solo.every((s) => s.events().length > 0), 'a probe on every stream');
    for (let i = 0; i < 5; i++) await set(A, domain, 'doc', 'k', { phase: 'before', i });

    const grpcB = new GrpcClient(B.process.url.replace(/^http:\/\//, ''));
    grpcClients.push(grpcB);
    const timed = async <T>(what: string, call: () => Promise<T>) => {
      const started = Date.now();
      const result = await call();
      return { what, ms: Date.now() - started, result };
    };
    const gqlSet = (i: Instance, values: Record<string, unknown>, key = 'k') =>
      timed(`setEntity on ${i.name}`, () => gql(i.http, SET, { input: { domain, type: 'doc', key, values } }));

    let outage: Array<{ what: string; ms: number; code: string | undefined }> = [];
    let recoveredAfterMs = 0;
    const healthB = healthOf(B);
    const watchB = healthB.watch();
    await waitUntil(() => watchB.statuses.length === 1, 'the health watch on B answers');
    try {
      await service('down', 'postgres');
      // Sequential and concurrent writes on every instance, over GraphQL and over gRPC.
      const sequential = [];
      for (const i of [A, B, C]) sequential.push(await gqlSet(i, { phase: 'during', on: i.name }));
      const concurrent = await Promise.all([
        ...[A, B, C].flatMap((i) => [1, 2, 3].map((n) => gqlSet(i, { phase: 'during', n }, `new${n}`))),
        timed('EntityService/Set over gRPC on B', () =>
          grpcB
            .call('EntityService', 'Set', { domain, type: 'doc', key: 'k', values: toStruct({ phase: 'during' }) })
            .then(
              () => ({ code: 'OK' }),
              (err: grpc.ServiceError) => ({ code: err.code === 14 ? 'UNAVAILABLE' : `grpc ${err.code}` }),
            ),
        ),
      ]);
      const code = (r: GraphqlResponse | { code: string }) =>
        'code' in r ? r.code : (errorCode(r as GraphqlResponse) ?? (r.errors ? 'NO_CODE' : 'OK'));
      outage = [...sequential, ...concurrent].map((r) => ({ what: r.what, ms: r.ms, code: code(r.result) }));
      // Reads of storage fail the same way; the cache (Redis) is not affected.
      const read = await getEntity(C.http, { domain, type: 'doc', key: 'k' });
      expect(read.code).toBe('UNAVAILABLE');
      const cache = await gql(C.http, `mutation { setCache(input: {domain: "${domain}", key: "c", value: 1}) }`);
      expect(cache.data).toEqual({ setCache: true });
      // A stream resuming from the log cannot read it: it ends with UNAVAILABLE, telling the client to resume.
      const resumeClient = wsClient(C.ws);
      try {
        const resumed = collect(resumeClient, STREAM, { input: { domain, after: '0' } });
        await resumed.waitFor(1, 15_000);
        expect(resumed.items[0]?.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
        expect(resumed.items[0]?.errors?.[0]?.message).toMatch(/resume from your last position/);
      } finally {
        await resumeClient.dispose();
      }
      // Readiness tells load balancers: storage is failing, Redis (cache, bus, mutex) is fine.
      await waitUntil(async () => (await readyz(A)).http === 503, '/readyz on A answering 503', 5_000);
      const down = await readyz(A);
      expect(down.http).toBe(503);
      expect(down.body).toMatchObject({
        status: 'unavailable',
        checks: { storage: { ok: false }, bus: { ok: true }, cache: { ok: true }, mutex: { ok: true } },
      });
      expect(down.body.checks.storage?.error).toEqual(expect.any(String));
      // No connection string, let alone a password, in an unauthenticated answer.
      expect(JSON.stringify(down.body)).not.toMatch(/postgres:\/\/|:[^:@/]+@/);
      // Each instance probes on its own, an answer at most a second old: B follows within about a second.
      await waitUntil(async () => (await healthB.check('')) === 'NOT_SERVING', 'gRPC health of B NOT_SERVING', 5_000);
      expect(await healthB.check('stategate.EntityService')).toBe('NOT_SERVING');
      expect(await healthB.check('stategate.CacheService')).toBe('SERVING');
    } finally {
      const restarted = Date.now();
      await service('up', 'postgres');
      // The same processes take writes again: each instance's first successful write after the restart.
      await Promise.all(
        [A, B, C].map(async (i) => {
          await waitUntil(
            async () => !(await gqlSet(i, { phase: 'probe-after' }, `recover-${i.name}`)).result.errors,
            `a write on ${i.name} succeeding after PostgreSQL is back`,
            30_000,
          );
        }),
      );
      recoveredAfterMs = Date.now() - restarted;
    }

    for (const o of outage) {
      expect({ what: o.what, code: o.code }).toEqual({ what: o.what, code: 'UNAVAILABLE' });
      expect({ what: o.what, failedFast: o.ms < FAIL_FAST_MS }).toEqual({ what: o.what, failedFast: true });
    }

    // Ready again: /readyz 200 and SERVING within the probe cache (1 s); the watch saw both changes.
    await waitUntil(async () => (await readyz(A)).http === 200, '/readyz on A answering 200 again', 5_000);
    expect((await readyz(A)).body.status).toBe('ready');
    await waitUntil(
      () => watchB.statuses.length === 3,
      `the health watch on B back to SERVING (${watchB.statuses})`,
      5_000,
    );
    await watchB.stop();
    expect(watchB.statuses).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    expect(await healthB.check('')).toBe('SERVING');

    for (let i = 0; i < 5; i++) await set([A, B, C][i % 3]!, domain, 'doc', 'k', { phase: 'after', i });

    // None of the refused writes happened: k went from its 5 writes before to the 5 after, new1..3 never existed.
    const entity = await getEntity(B.http, { domain, type: 'doc', key: 'k' });
    expect(entity.entity).toEqual({ key: 'k', version: '10', values: { phase: 'after', i: 4 } });
    for (const n of [1, 2, 3])
      expect((await getEntity(A.http, { domain, type: 'doc', key: `new${n}` })).code).toBe('NOT_FOUND');
    const log = (await allEvents(C.http, domain, 'doc')).filter((e) => e.entity.key === 'k');
    expect(log.map((e) => e.entity.values.phase)).toEqual([...Array(5).fill('before'), ...Array(5).fill('after')]);

    // The streams opened before the outage continue: every event of k, once, in order, on every instance.
    const ids = log.map((e) => e.id);
    for (const s of solo) {
      const docs = () => s.events().filter((e) => e.entity.type === 'doc' && e.entity.key === 'k');
      await waitUntil(
        () => docs().length >= ids.length,
        `${ids.length} events of k on ${s.label} (has ${docs().length})`,
      );
    }
    await sleep(600);
    for (const s of solo) {
      expectOpenWithoutDuplicates(s);
      const docs = s.events().filter((e) => e.entity.type === 'doc' && e.entity.key === 'k');
      expect({ stream: s.label, ids: docs.map((e) => e.id) }).toEqual({ stream: s.label, ids });
    }

    const slowest = Math.max(...outage.map((o) => o.ms));
    console.info(
      `PostgreSQL down: ${outage.length} writes refused with UNAVAILABLE, slowest after ${slowest} ms; ` +
        `every instance wrote again ${recoveredAfterMs} ms after the restart began`,
    );
  }, 90_000);
});

/**
 * Generous bound for the partition case, where the processes run with connect_timeout=2 s and
 * query_timeout=2 s: a write waits at most one of each in the queue and one of each running. Far below
 * "hangs until TCP gives up" (minutes), which is what it rules out.
 */
const PARTITION_FAIL_MS = 15_000;

describe(`three instances on ${comboName}, PostgreSQL not answering (packets dropped)`, () => {
  let cluster: Cluster;
  let proxy: FreezingProxy;
  const streams: Stream[] = [];
  beforeAll(async () => {
    const pgUrl = new URL(PG_URL);
    proxy = await freezingProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    cluster = await startCluster(comboEnv, 3, (url) => {
      const u = new URL(url);
      u.host = `127.0.0.1:${proxy.port}`;
      u.searchParams.set('connect_timeout', '2');
      u.searchParams.set('query_timeout', '2000');
      return u.toString();
    });
  }, 60_000);
  afterAll(async () => {
    proxy?.thaw();
    await Promise.all(streams.splice(0).map((s) => s.close()));
    await cluster?.stop();
    await proxy?.close();
  }, 60_000);

  it('fails writes with UNAVAILABLE in bounded time, applies none, and recovers when the network does', async () => {
    const [A, B, C] = cluster.instances as [Instance, Instance, Instance];
    const domain = unique('partition');
    const solo = [A, B, C].map((i) => openStream(i, { domain }, `solo@${i.name}`));
    streams.push(...solo);
    await probeUntil([A, B, C], domain, () => solo.every((s) => s.events().length > 0), 'a probe on every stream');
    for (let i = 0; i < 3; i++) await set(A, domain, 'doc', 'k', { phase: 'before', i });

    let outage: Array<{ what: string; ms: number; code: string | undefined }> = [];
    let recoveredAfterMs = 0;
    proxy.freeze();
    // Readiness does not hang with the database: /readyz answers 503 within its check timeout (2 s).
    const probed = (async () => {
      await sleep(1_100); // past any answer cached from before the freeze
      const started = Date.now();
      const r = await readyz(B);
      return { ms: Date.now() - started, ...r };
    })();
    try {
      // Four writes at once on each instance: one runs and hangs, three queue behind it.
      outage = await Promise.all(
        [A, B, C].flatMap((i) =>
          [1, 2, 3, 4].map(async (n) => {
            const started = Date.now();
            const res = await gql(i.http, SET, {
              input: { domain, type: 'doc', key: n === 1 ? 'k' : `new${n}`, values: { phase: 'during', n } },
            });
            return {
              what: `write ${n} on ${i.name}`,
              ms: Date.now() - started,
              code: errorCode(res) ?? (res.errors ? 'NO_CODE' : 'OK'),
            };
          }),
        ),
      );
      const probe = await probed;
      expect({ http: probe.http, storage: probe.body.checks.storage?.ok }).toEqual({ http: 503, storage: false });
      expect(probe.ms).toBeLessThan(3_000);
    } finally {
      proxy.thaw();
    }
    const thawed = Date.now();
    await Promise.all(
      [A, B, C].map((i) =>
        waitUntil(
          async () =>
            !(await gql(i.http, SET, { input: { domain, type: 'doc', key: `recover-${i.name}`, values: {} } })).errors,
          `a write on ${i.name} succeeding once the network is back`,
          30_000,
        ),
      ),
    );
    recoveredAfterMs = Date.now() - thawed;

    for (const o of outage) {
      expect({ what: o.what, code: o.code }).toEqual({ what: o.what, code: 'UNAVAILABLE' });
      expect({ what: o.what, bounded: o.ms < PARTITION_FAIL_MS }).toEqual({ what: o.what, bounded: true });
    }

    for (let i = 0; i < 3; i++) await set([A, B, C][i]!, domain, 'doc', 'k', { phase: 'after', i });
    const entity = await getEntity(B.http, { domain, type: 'doc', key: 'k' });
    expect(entity.entity).toEqual({ key: 'k', version: '6', values: { phase: 'after', i: 2 } });
    for (const n of [2, 3, 4]) {
      expect((await getEntity(A.http, { domain, type: 'doc', key: `new${n}` })).code).toBe('NOT_FOUND');
    }

    const ids = (await allEvents(C.http, domain, 'doc')).filter((e) => e.entity.key === 'k').map((e) => e.id);
    expect(ids).toHaveLength(6);
    for (const s of solo) {
      const docs = () => s.events().filter((e) => e.entity.type === 'doc' && e.entity.key === 'k');
      await waitUntil(() => docs().length >= 6, `6 events of k on ${s.label} (has ${docs().length})`);
    }
    await sleep(600);
    for (const s of solo) {
      expectOpenWithoutDuplicates(s);
      const docs = s.events().filter((e) => e.entity.type === 'doc' && e.entity.key === 'k');
      expect({ stream: s.label, ids: docs.map((e) => e.id) }).toEqual({ stream: s.label, ids });
    }
    console.info(
      `PostgreSQL not answering: ${outage.length} writes refused with UNAVAILABLE after ` +
        `${Math.min(...outage.map((o) => o.ms))}–${Math.max(...outage.map((o) => o.ms))} ms; ` +
        `every instance wrote again ${recoveredAfterMs} ms after the network returned`,
    );
  }, 90_000);
});
