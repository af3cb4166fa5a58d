import { randomUUID } from 'node:crypto';
import type { Event } from '../../src/core/model.js';
import type { StorageProvider } from '../../src/core/ports/storage.js';
import { createMongoStorage, type MongoStorageOptions } from '../../src/providers/storage/mongo/index.js';
import { needService, unique } from '../contract/helpers.js';
import { describeStorageContract, intent } from '../contract/storage.contract.js';

/** Started by `scripts/services.sh up` (FerretDB); the tests fail (never skip) when it cannot be reached. */
const URL = process.env.STATEGATE_TEST_MONGO_URL ?? 'mongodb://127.0.0.1:27017/stategate';
/**
 * This run's own databases, so runs never see each other's log. They are left behind (a few hundred KB):
 * FerretDB 1.24 crashes (SIGBUS in SQLite) when a database is dropped while any connection still uses it.
 */
const DATABASE = `stategate_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

function open(options: Partial<MongoStorageOptions> = {}): Promise<StorageProvider> {
  return needService('mongo (FerretDB)', createMongoStorage({ url: URL, database: DATABASE, ...options }));
}

describeStorageContract('mongo', () => open());

describe('mongo storage', () => {
  it('fails to start with UNAVAILABLE naming the address (password masked) when the server cannot be reached', async () => {
    const failure = createMongoStorage({
      url: 'mongodb://stategate:s3cret@127.0.0.1:1/stategate',
      connectTimeoutMs: 300,
    });
    await expect(failure).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const message = (await failure.catch((err: Error) => err.message)) as string;
    expect(message).toContain('mongodb://stategate:***@127.0.0.1:1/stategate');
    expect(message).not.toContain('s3cret');
  });

  it.each(['w=1', 'journal=false', 'readPreference=secondary', 'readConcernLevel=local'])(
    'refuses an address whose options weaken a guarantee (%s)',
    async (option) => {
      await expect(createMongoStorage({ url: `${URL}?${option}` })).rejects.toMatchObject({
        code: 'FAILED_PRECONDITION',
        message: expect.stringContaining(option.split('=')[0]!),
      });
    },
  );

  it('G3 across instances: of 10 instances writing the same expected version exactly one wins', async () => {
    const stores = await Promise.all(Array.from({ length: 10 }, () => open({ poolSize: 2 })));
    const target = { domain: unique('g3'), type: 't', key: 'k' };
    try {
      await stores[0]!.append(intent.set(target, { winner: null }));
      const settled = await Promise.allSettled(
        stores.map((s, i) => s.append(intent.set(target, { winner: i }, { expectedVersion: 1 }))),
      );
      const won = settled.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of settled) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'ABORTED' });
      // Without a precondition, every instance's write lands, each on top of the previous one.
      const all = await Promise.all(stores.map((s, i) => s.append(intent.edit(target, { [`by${i}`]: i }))));
      expect(all.map((e) => e.entity.version).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 10 }, (_, i) => i + 3),
      );
      const final = await stores[5]!.getEntity(target);
      expect(final!.version).toBe(12);
      for (let i = 0; i < 10; i++) expect(final!.values[`by${i}`]).toBe(i);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('an instance that has not written for a while appends after what others committed meanwhile', async () => {
    const idle = await open();
    const busy = await open();
    const domain = unique('idle');
    try {
      const first = await idle.append(intent.set({ domain, type: 't', key: 'a' }, { n: 1 }));
      const others = [];
      for (let i = 0; i < 5; i++) others.push(await busy.append(intent.set({ domain, type: 't', key: 'b' }, { i })));
      const late = await idle.append(intent.set({ domain, type: 't', key: 'a' }, { n: 2 }));
      expect(late.position).toBe(others[4]!.position + 1);
      expect(late.entity.version).toBe(2);
      expect((await busy.readLog(first.position - 1, 100)).map((e) => e.position)).toEqual(
        Array.from({ length: 7 }, (_, i) => first.position + i),
      );
    } finally {
      await Promise.all([idle.close(), busy.close()]);
    }
  });

  it('G4: with 20 concurrent writers (separate clients), a tailing reader sees rising positions and skips nothing', async () => {
    const domain = unique('g4');
    // A fresh database: FerretDB scans a collection for every query but one on `_id`, so the events the
    // rest of this file wrote would only slow the log reads down.
    const database = `${DATABASE}_g4`;
    const reader = await open({ poolSize: 2, database });
    const writers = await Promise.all(Array.from({ length: 20 }, () => open({ poolSize: 2, database })));
    try {
      const start = await reader.headPosition();
      const seen: Event[] = [];
      let writing = true;
      let after = start;
      const tail = (async () => {
        for (;;) {
          // Decided before the read: a read that started while writes were still committing may miss them.
          const finished = !writing;
          const page = await reader.readLog(after, 50);
          for (const event of page) {
            if (event.position <= after) throw new Error(`position ${event.position} after ${after}`);
            after = event.position;
            if (event.entity.domain === domain) seen.push(event);
          }
          if (finished && page.length === 0) return;
        }
      })();
      const PER_WRITER = 25;
      const began = performance.now();
      const written = (
        await Promise.all(
          writers.map(async (writer, w) => {
            const mine: Event[] = [];
            for (let i = 0; i < PER_WRITER; i++) {
              // Some writers share entities, so version races (retries) interleave with position races.
              mine.push(await writer.append(intent.set({ domain, type: 't', key: `k${(w * 7 + i) % 30}` }, { w, i })));
            }
            return mine;
          }),
        )
      ).flat();
      const seconds = (performance.now() - began) / 1000;
      writing = false;
      await tail;
      console.log(
        `mongo: ${written.length} appends by 20 writers in ${seconds.toFixed(2)} s = ${(written.length / seconds).toFixed(0)}/s`,
      );

      expect(written).toHaveLength(20 * PER_WRITER);
      const sorted = [...written].sort((a, b) => a.position - b.position);
      expect(seen.map((e) => e.position)).toEqual(sorted.map((e) => e.position));
      expect(seen).toEqual(sorted);
      // G2 along the log: each entity's versions are consecutive in position order.
      const versions = new Map<string, number>();
      for (const e of seen) {
        const last = versions.get(e.entity.key) ?? 0;
        expect(e.entity.version).toBe(last + 1);
        versions.set(e.entity.key, e.entity.version);
      }
    } finally {
      await Promise.all([reader, ...writers].map((s) => s.close()));
    }
  }, 300_000);
});

describe('mongo and sqlite give identical search answers (G10, randomised)', () => {
  // Deterministic pseudo-random data and queries (mulberry32), so a failure reproduces.
  let seed = Number(process.env.STATEGATE_TEST_G10_SEED ?? 0x5eed);
  const rand = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const SCALARS = [
    0,
    1,
    -1,
    2.5,
    1e21,
    -0.001,
    10,
    9,
    '',
    'a',
    'B',
    'b',
    'é',
    'z',
    '😀',
    '\uffff',
    '10',
    '9',
    true,
    false,
    null,
  ];
  const value = (): unknown => {
    const r = rand();
    if (r < 0.7) return pick(SCALARS);
    if (r < 0.8) return { y: pick(SCALARS) };
    if (r < 0.9) return { y: pick(SCALARS), z: [pick(SCALARS)] };
    return [pick(SCALARS), pick(SCALARS)];
  };
  const FIELDS = ['x', 'y', 'x.y', 'x.z', '_id'];
  const OPS = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$not'];
  const literal = (field: string) => (field === '_id' ? pick(['k05', 'k3', 'k59', 'a', '']) : pick(SCALARS));
  const condition = (field: string): Record<string, unknown> => {
    const op = pick(OPS);
    if (op === '$in' || op === '$nin') return { [op]: [literal(field), literal(field)] };
    if (op === '$exists') return { $exists: rand() < 0.5 };
    if (op === '$not') {
      const inner = pick(['$gt', '$eq', '$lte', '$in']);
      return { $not: { [inner]: inner === '$in' ? [literal(field)] : literal(field) } };
    }
    return { [op]: literal(field) };
  };
  const term = () => {
    const field = pick(FIELDS);
    return { [field]: condition(field) };
  };

  it('on 60 entities and 300 random filters and sorts, including objects and arrays', async () => {
    const { createSqliteStorage } = await import('../../src/providers/storage/sqlite/index.js');
    const { parseFilter, parseSort } = await import('../../src/core/filter/parse.js');
    const sqlite = createSqliteStorage({ path: ':memory:' });
    const mongo = await open();
    const domain = unique('g10');
    try {
      for (let i = 0; i < 60; i++) {
        const values: Record<string, unknown> = {};
        if (rand() < 0.85) values.x = value();
        if (rand() < 0.5) values.y = value();
        const target = { domain, type: 't', key: `k${String(i).padStart(2, '0')}` };
        const set = intent.set(target, values as never, { eventId: randomUUID() });
        await sqlite.append(set);
        await mongo.append(set);
      }
      let partial = 0;
      for (let q = 0; q < 300; q++) {
        const r = rand();
        const filter = JSON.stringify(
          r < 0.15 ? { $or: [term(), term()] } : r < 0.3 ? { $and: [term(), { $or: [term(), term()] }] } : term(),
        );
        const sortField = pick(['', 'x', 'y', 'x.y', '_id']);
        const query = {
          domain,
          type: 't',
          filter: parseFilter(filter, 'entities'),
          sort: parseSort({ field: sortField, reverse: rand() < 0.5 }, 'entities'),
          limit: 100,
          offset: 0,
        };
        const [a, b] = await Promise.all([sqlite.searchEntities(query), mongo.searchEntities(query)]);
        if (a.length > 0 && a.length < 60) partial++;
        // Unlike postgres, the order among objects and arrays is identical too.
        expect({ filter, sortField, keys: b.map((e) => e.key) }).toEqual({
          filter,
          sortField,
          keys: a.map((e) => e.key),
        });
        expect(b).toEqual(a);
      }
      // Not vacuous: most queries select some but not all entities.
      expect(partial).toBeGreaterThan(150);
    } finally {
      await sqlite.close();
      await mongo.close();
    }
  }, 120_000);
});
