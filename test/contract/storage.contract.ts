import { randomUUID } from 'node:crypto';
import { notFound, StategateError } from '../../src/core/errors.js';
import { parseFilter, parseSort } from '../../src/core/filter/parse.js';
import { mergePatch } from '../../src/core/merge-patch.js';
import { Method } from '../../src/core/methods.js';
import type { Entity, EntityKey, Event, JsonObject } from '../../src/core/model.js';
import type { StorageProvider, WriteIntent } from '../../src/core/ports/storage.js';
import { type Factory, unique } from './helpers.js';

/**
 * The storage contract: every StorageProvider runs this suite unchanged (DESIGN.md §1), which is how
 * "the same request gets the same answer on every provider" (G10) is kept.
 *
 * `create` is called before each test and the provider is closed after it. It may return a fresh store or
 * a shared one: each test writes under its own random domain and only relies on log positions relative to
 * what it wrote, so leftovers from earlier tests do not matter. Tests within one file run one at a time.
 */
export function describeStorageContract(name: string, create: Factory<StorageProvider>): void {
  describe(`storage contract: ${name}`, () => {
    let store: StorageProvider;
    let domain: string;
    /** An entity key in this test's own domain. */
    const ref = (key: string, type = 'thing'): EntityKey => ({ domain, type, key });

    beforeEach(async () => {
      store = await create();
      domain = unique('d');
    });

    afterEach(async () => {
      await store.close();
    });

    describe('append: Set, Edit, Del, Revert', () => {
      it('gives consecutive versions and returns the full event', async () => {
        const target = ref('k');
        const claims = { sub: 'alice', roles: ['admin'], nested: { n: 1 } };
        const e1 = await store.append(intent.set(target, { a: 1 }, { claims, time: T0 }));
        expect(e1).toEqual({
          id: expect.any(String),
          entity: { ...target, values: { a: 1 }, version: 1 },
          claims,
          time: T0,
          method: Method.entitySet,
          position: expect.any(Number),
        });
        expect(e1.position).toBeGreaterThan(0);
        const e2 = await store.append(intent.set(target, { b: 2 }));
        const e3 = await store.append(intent.edit(target, { c: 3 }));
        expect([e1, e2, e3].map((e) => e.entity.version)).toEqual([1, 2, 3]);
        expect(e3.entity.values).toEqual({ b: 2, c: 3 });
        expect(e3.method).toBe(Method.entityEdit);
        expect(await store.getEntity(target)).toEqual({ ...target, values: { b: 2, c: 3 }, version: 3 });
      });

      it('stores values and claims exactly (nesting, unicode, quotes, numbers)', async () => {
        const values: JsonObject = {
          text: 'héllo "wörld" \'; -- 🚀',
          int: -42,
          real: 0.125,
          big: 9007199254740991,
          yes: true,
          no: false,
          nothing: null,
          list: [1, 'two', { three: 3 }, [], null],
          obj: { deep: { deeper: { deepest: 'x' } } },
          empty: {},
        };
        const written = await store.append(intent.set(ref('exact'), values, { claims: { 'a-b': 'c"d' } }));
        expect(await store.getEntity(ref('exact'))).toEqual({ ...ref('exact'), values, version: 1 });
        expect(await store.getEventByVersion(ref('exact'), 1)).toEqual(written);
        expect(await store.getEvent({ ...ref('exact'), id: written.id })).toEqual(written);
      });

      it('Edit applies a merge patch and refuses a missing entity with NOT_FOUND, writing nothing', async () => {
        const target = ref('k');
        await store.append(intent.set(target, { a: 1, nested: { x: 1, y: 2 }, drop: 'me' }));
        const edited = await store.append(intent.edit(target, { nested: { y: null, z: 3 }, drop: null, b: 2 }));
        expect(edited.entity.values).toEqual({ a: 1, nested: { x: 1, z: 3 }, b: 2 });
        const head = await store.headPosition();
        expect((await refusal(store.append(intent.edit(ref('missing'), { a: 1 })))).code).toBe('NOT_FOUND');
        expect(await store.headPosition()).toBe(head);
        expect(await store.getEntity(ref('missing'))).toBeNull();
        expect(await store.getEventByVersion(ref('missing'), 1)).toBeNull();
      });

      it('Del leaves a tombstone: the event carries the state before deletion, versions continue', async () => {
        const target = ref('k');
        await store.append(intent.set(target, { a: 1 }));
        await store.append(intent.set(target, { a: 2 }));
        const del = await store.append(intent.del(target));
        expect(del.method).toBe(Method.entityDel);
        expect(del.entity).toEqual({ ...target, values: { a: 2 }, version: 3 });
        expect(await store.getEntity(target)).toBeNull();
        expect(await store.getEntities([target])).toEqual([null]);
        expect(await store.getEventByVersion(target, 3)).toEqual(del);

        // Deleting again, or editing, finds nothing live.
        expect((await refusal(store.append(intent.del(target)))).code).toBe('NOT_FOUND');
        expect((await refusal(store.append(intent.edit(target, { a: 3 })))).code).toBe('NOT_FOUND');
        // A version precondition cannot match a deleted entity.
        expect((await refusal(store.append(intent.set(target, { a: 3 }, { expectedVersion: 3 })))).code).toBe(
          'ABORTED',
        );

        // "must not exist" holds after deletion, and the version goes on from the tombstone, never 1 again.
        const again = await store.append(intent.set(target, { a: 4 }, { expectedVersion: -1 }));
        expect(again.entity.version).toBe(4);
        expect(await store.getEntity(target)).toEqual({ ...target, values: { a: 4 }, version: 4 });
      });

      it('Revert sets the state an earlier event recorded, as a new event with the next version', async () => {
        const target = ref('k');
        const first = await store.append(intent.set(target, { state: 'one' }));
        await store.append(intent.set(target, { state: 'two' }));
        await store.append(intent.del(target));
        const found = await store.getEvent({ ...target, id: first.id });
        expect(found).toEqual(first);
        const reverted = await store.append(intent.revert(target, found!));
        expect(reverted.method).toBe(Method.entityRevert);
        expect(reverted.entity).toEqual({ ...target, values: { state: 'one' }, version: 4 });
        expect(await store.getEntity(target)).toEqual({ ...target, values: { state: 'one' }, version: 4 });
      });

      it('an intent sees the effect of the intents queued before it for the same entity', async () => {
        const target = ref('k');
        const results = await Promise.all([
          store.append(intent.set(target, { n: 1 }, { expectedVersion: -1 })),
          store.append(intent.edit(target, { m: 2 }, { expectedVersion: 1 })),
          store.append(intent.edit(target, { o: 3 }, { expectedVersion: 2 })),
        ]);
        expect(results.map((e) => e.entity.version)).toEqual([1, 2, 3]);
        expect(results[2]!.entity.values).toEqual({ n: 1, m: 2, o: 3 });
      });
    });

    describe('preconditions', () => {
      it('refuses -1 on an existing entity and a version mismatch with ABORTED, writing nothing', async () => {
        const target = ref('k');
        await store.append(intent.set(target, { v: 1 }, { expectedVersion: -1 }));
        await store.append(intent.set(target, { v: 2 }, { expectedVersion: 1 }));
        const head = await store.headPosition();

        const exists = await refusal(store.append(intent.set(target, { v: 'x' }, { expectedVersion: -1 })));
        expect(exists.code).toBe('ABORTED');
        const stale = await refusal(store.append(intent.set(target, { v: 'x' }, { expectedVersion: 1 })));
        expect(stale.code).toBe('ABORTED');
        const ahead = await refusal(store.append(intent.set(target, { v: 'x' }, { expectedVersion: 7 })));
        expect(ahead.code).toBe('ABORTED');
        const staleDel = await refusal(store.append(intent.del(target, { expectedVersion: 1 })));
        expect(staleDel.code).toBe('ABORTED');
        const missing = await refusal(store.append(intent.set(ref('none'), { v: 1 }, { expectedVersion: 1 })));
        expect(missing.code).toBe('ABORTED');

        expect(await store.headPosition()).toBe(head);
        expect(await store.getEntity(target)).toEqual({ ...target, values: { v: 2 }, version: 2 });
        expect(await store.getEventByVersion(target, 3)).toBeNull();
        expect(await store.getEntity(ref('none'))).toBeNull();

        const ok = await store.append(intent.del(target, { expectedVersion: 2 }));
        expect(ok.entity.version).toBe(3);
      });

      it('a refused intent rolls back only itself; the others of the same batch commit', async () => {
        await store.append(intent.set(ref('existing'), { v: 0 }));
        const start = await store.headPosition();
        const badNext: WriteIntent = {
          ...intent.set(ref('buggy'), {}),
          next: () => {
            throw new TypeError('bug in next');
          },
        };
        const dupId = randomUUID();
        // Fired without awaiting, so a batching provider commits them together.
        const settled = await Promise.allSettled([
          store.append(intent.set(ref('a'), { v: 'a' })),
          store.append(intent.set(ref('existing'), { v: 'x' }, { expectedVersion: -1 })),
          store.append(intent.set(ref('b'), { v: 'b' }, { eventId: dupId })),
          store.append(intent.edit(ref('missing'), { v: 'x' })),
          store.append(badNext),
          store.append(intent.set(ref('c'), { v: 'c' }, { eventId: dupId })),
          store.append(intent.set(ref('d'), { v: 'd' })),
        ]);
        expect(settled.map((s) => (s.status === 'fulfilled' ? 'ok' : (s.reason as StategateError).code))).toEqual([
          'ok',
          'ABORTED',
          'ok',
          'NOT_FOUND',
          'INTERNAL',
          'ALREADY_EXISTS',
          'ok',
        ]);
        for (const s of settled) if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(StategateError);

        const log = (await store.readLog(start, 100)).filter((e) => e.entity.domain === domain);
        expect(log.map((e) => e.entity.key)).toEqual(['a', 'b', 'd']);
        expect(log).toEqual(settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])));
        expect(await store.getEntity(ref('existing'))).toEqual({ ...ref('existing'), values: { v: 0 }, version: 1 });
        expect(await store.getEntity(ref('c'))).toBeNull();
        expect(await store.getEntity(ref('buggy'))).toBeNull();
        expect(await store.getEntity(ref('missing'))).toBeNull();
      });

      it('G3: of 50 concurrent writers with the same expected version exactly one wins', async () => {
        const target = ref('race');
        await store.append(intent.set(target, { winner: null }));
        const settled = await Promise.allSettled(
          Array.from({ length: 50 }, (_, i) => store.append(intent.set(target, { winner: i }, { expectedVersion: 1 }))),
        );
        const won = settled.filter((s) => s.status === 'fulfilled');
        expect(won).toHaveLength(1);
        for (const s of settled) if (s.status === 'rejected') expect((s.reason as StategateError).code).toBe('ABORTED');
        const winner = (won[0] as PromiseFulfilledResult<Event>).value;
        expect(await store.getEntity(target)).toEqual({ ...target, values: winner.entity.values, version: 2 });
        expect(await store.getEventByVersion(target, 3)).toBeNull();
      });

      it('G1/G3: concurrent read-modify-write with retries loses no update', async () => {
        const target = ref('counter');
        const start = await store.headPosition();
        await store.append(intent.set(target, { n: 0 }));
        let successes = 0;
        let conflicts = 0;
        const worker = async () => {
          for (let attempt = 0; attempt < 5; attempt++) {
            const current = await store.getEntity(target);
            const n = current!.values.n as number;
            try {
              // `next` ignores the live state on purpose: only the precondition protects this update.
              await store.append(intent.set(target, { n: n + 1 }, { expectedVersion: current!.version }));
              successes++;
              return;
            } catch (err) {
              if (!(err instanceof StategateError) || err.code !== 'ABORTED') throw err;
              conflicts++;
            }
          }
        };
        await Promise.all(Array.from({ length: 50 }, worker));

        expect(successes).toBeGreaterThan(0);
        expect(successes + conflicts).toBeGreaterThanOrEqual(50);
        const final = await store.getEntity(target);
        expect(final!.values.n).toBe(successes);
        expect(final!.version).toBe(successes + 1);
        const log = (await store.readLog(start, 1000)).filter(
          (e) => e.entity.key === 'counter' && e.entity.domain === domain,
        );
        expect(log).toHaveLength(successes + 1);
        expect(log.map((e) => e.entity.version)).toEqual(range(1, successes + 1));
        expect(log.map((e) => e.entity.values.n)).toEqual(range(0, successes));
      });
    });

    describe('the log', () => {
      it('G4: positions rise in commit order; a tailing reader never sees one below what it saw', async () => {
        const start = await store.headPosition();
        const seen: Event[] = [];
        let writing = true;
        const tail = (async () => {
          let after = start;
          for (;;) {
            // Decided before the read: a read that started while writes were still committing may miss them.
            const finished = !writing;
            const page = await store.readLog(after, 25);
            for (const event of page) {
              expect(event.position).toBeGreaterThan(after);
              after = event.position;
              if (event.entity.domain === domain) seen.push(event);
            }
            if (finished && page.length === 0) return;
            await tick();
          }
        })();
        const pending: Promise<Event>[] = [];
        for (let i = 0; i < 200; i++) {
          pending.push(store.append(intent.set(ref(`e${i % 10}`), { i })));
          if (i % 17 === 0) await tick();
        }
        const written = await Promise.all(pending);
        writing = false;
        await tail;

        const positions = written.map((e) => e.position);
        expect(new Set(positions).size).toBe(200);
        expect(seen.map((e) => e.position)).toEqual([...positions].sort((a, b) => a - b));
        expect(seen).toEqual([...written].sort((a, b) => a.position - b.position));
        // G2: each entity's events come in version order along the log.
        for (let k = 0; k < 10; k++) {
          const versions = seen.filter((e) => e.entity.key === `e${k}`).map((e) => e.entity.version);
          expect(versions).toEqual(range(1, 20));
        }
        expect(await store.headPosition()).toBeGreaterThanOrEqual(Math.max(...positions));
      });

      it('readLog pages by position and headPosition is the last position', async () => {
        const start = await store.headPosition();
        const written: Event[] = [];
        for (let i = 0; i < 23; i++) written.push(await store.append(intent.set(ref(`k${i % 4}`), { i })));
        expect(await store.headPosition()).toBe(written[22]!.position);

        const paged: Event[] = [];
        let after = start;
        for (;;) {
          const page = await store.readLog(after, 5);
          expect(page.length).toBeLessThanOrEqual(5);
          if (page.length === 0) break;
          paged.push(...page);
          after = page[page.length - 1]!.position;
        }
        expect(paged.filter((e) => e.entity.domain === domain)).toEqual(written);
        const positions = paged.map((e) => e.position);
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
        expect(new Set(positions).size).toBe(positions.length);
        expect(await store.readLog(written[22]!.position, 10)).toEqual([]);
        expect(await store.readLog(written[10]!.position, 2)).toEqual(written.slice(11, 13));
      });
    });

    describe('time and history', () => {
      it('keeps ns times exact and never lets an entity go back in time', async () => {
        const target = ref('k');
        const e1 = await store.append(intent.set(target, { v: 1 }, { time: T0 + 10n }));
        const e2 = await store.append(intent.set(target, { v: 2 }, { time: T0 + 5n }));
        const e3 = await store.append(intent.set(target, { v: 3 }, { time: T0 + 11n }));
        const e4 = await store.append(intent.set(target, { v: 4 }, { time: T0 + 100n }));
        expect([e1, e2, e3, e4].map((e) => e.time)).toEqual([T0 + 10n, T0 + 11n, T0 + 12n, T0 + 100n]);
        expect((await store.getEventByVersion(target, 2))!.time).toBe(T0 + 11n);
        // Another entity has its own clock.
        const other = await store.append(intent.set(ref('other'), { v: 1 }, { time: T0 + 1n }));
        expect(other.time).toBe(T0 + 1n);
      });

      it('getEventAt returns the state as of a time; getEventByVersion a version', async () => {
        const target = ref('k');
        const e1 = await store.append(intent.set(target, { v: 1 }, { time: T0 + 1000n }));
        const e2 = await store.append(intent.set(target, { v: 2 }, { time: T0 + 2000n }));
        const e3 = await store.append(intent.del(target, { time: T0 + 3000n }));
        await store.append(intent.set(ref('noise'), { v: 9 }, { time: T0 + 1500n }));

        expect(await store.getEventAt(target, T0 + 999n)).toBeNull();
        expect(await store.getEventAt(target, T0 + 1000n)).toEqual(e1);
        expect(await store.getEventAt(target, T0 + 1999n)).toEqual(e1);
        expect(await store.getEventAt(target, T0 + 2000n)).toEqual(e2);
        expect(await store.getEventAt(target, T0 + 2001n)).toEqual(e2);
        expect(await store.getEventAt(target, T0 + 10_000n)).toEqual(e3);
        expect(await store.getEventAt(ref('nobody'), T0 + 10_000n)).toBeNull();

        expect(await store.getEventByVersion(target, 1)).toEqual(e1);
        expect(await store.getEventByVersion(target, 2)).toEqual(e2);
        expect(await store.getEventByVersion(target, 3)).toEqual(e3);
        expect(await store.getEventByVersion(target, 4)).toBeNull();
        expect(await store.getEventByVersion(target, 0)).toBeNull();
        expect(await store.getEventByVersion(ref('k', 'other-type'), 1)).toBeNull();
      });

      it('getEvent requires domain, type, key and id to all match', async () => {
        const target = ref('k');
        const event = await store.append(intent.set(target, { v: 1 }));
        await store.append(intent.set(ref('k2'), { v: 1 }));
        expect(await store.getEvent({ ...target, id: event.id })).toEqual(event);
        expect(await store.getEvent({ ...target, key: 'k2', id: event.id })).toBeNull();
        expect(await store.getEvent({ ...target, type: 'other', id: event.id })).toBeNull();
        expect(await store.getEvent({ ...target, domain: `${domain}x`, id: event.id })).toBeNull();
        expect(await store.getEvent({ ...target, id: randomUUID() })).toBeNull();
      });
    });

    describe('getEntities', () => {
      it('answers many keys at once, in input order, null where absent or deleted', async () => {
        await store.append(intent.set(ref('a'), { n: 'a' }));
        await store.append(intent.set(ref('b'), { n: 'b' }));
        await store.append(intent.set(ref('gone'), { n: 'gone' }));
        await store.append(intent.del(ref('gone')));
        await store.append(intent.set(ref('a', 'other'), { n: 'other a' }));
        const result = await store.getEntities([
          ref('b'),
          ref('missing'),
          ref('a'),
          ref('gone'),
          ref('a', 'other'),
          ref('b'),
        ]);
        expect(result).toEqual([
          { ...ref('b'), values: { n: 'b' }, version: 1 },
          null,
          { ...ref('a'), values: { n: 'a' }, version: 1 },
          null,
          { ...ref('a', 'other'), values: { n: 'other a' }, version: 1 },
          { ...ref('b'), values: { n: 'b' }, version: 1 },
        ]);
        expect(await store.getEntities([])).toEqual([]);
      });

      it('handles thousands of keys', async () => {
        await Promise.all(range(0, 299).map((i) => store.append(intent.set(ref(`k${i}`), { i }))));
        const keys = range(0, 2499).map((i) => ref(`k${(i * 7) % 600}`));
        const result = await store.getEntities(keys);
        expect(result).toHaveLength(2500);
        result.forEach((entity, i) => {
          const n = (i * 7) % 600;
          expect(entity).toEqual(n < 300 ? { ...ref(`k${n}`), values: { i: n }, version: 1 } : null);
        });
      });
    });

    describe('searchEntities', () => {
      /** One value of `x` per JSON type, so each operator meets numbers, strings, booleans, null and missing. */
      const DATA: Record<string, JsonObject> = {
        a: { x: 1, n: 'alpha' },
        b: { x: 2.5 },
        c: { x: '1' },
        d: { x: 'b' },
        e: { x: true },
        f: { x: false },
        g: { x: null },
        h: {},
        i: { x: { y: 1 } },
        j: { x: [1, 2] },
        k: { x: 0 },
        l: { x: -3 },
      };
      const ALL = Object.keys(DATA);
      const except = (...keys: string[]) => ALL.filter((k) => !keys.includes(k));

      beforeEach(async () => {
        for (const [key, values] of Object.entries(DATA)) await store.append(intent.set(ref(key), values));
        // Noise that must never match: a deleted entity and an entity of another type, both with x = 1.
        await store.append(intent.set(ref('z'), { x: 1 }));
        await store.append(intent.del(ref('z')));
        await store.append(intent.set(ref('a', 'other'), { x: 1 }));
      });

      const search = async (query: string, sort?: { field: string; reverse: boolean }, limit = 100, offset = 0) =>
        (
          await store.searchEntities({
            domain,
            type: 'thing',
            filter: parseFilter(query, 'entities'),
            sort: parseSort(sort, 'entities'),
            limit,
            offset,
          })
        ).map((e) => e.key);

      it.each<[string, string[]]>([
        ['{}', ALL],
        ['{"x": 1}', ['a']],
        ['{"x": 1.0}', ['a']],
        ['{"x": {"$eq": 2.5}}', ['b']],
        ['{"x": "1"}', ['c']],
        ['{"x": true}', ['e']],
        ['{"x": false}', ['f']],
        ['{"x": 0}', ['k']],
        ['{"x": null}', ['g', 'h']],
        ['{"x": {"$ne": 1}}', except('a')],
        ['{"x": {"$ne": "1"}}', except('c')],
        ['{"x": {"$ne": null}}', except('g', 'h')],
        ['{"x": {"$ne": true}}', except('e')],
        ['{"x": {"$gt": 1}}', ['b']],
        ['{"x": {"$gte": 1}}', ['a', 'b']],
        ['{"x": {"$lt": 1}}', ['k', 'l']],
        ['{"x": {"$lte": 0}}', ['k', 'l']],
        ['{"x": {"$gt": -10, "$lt": 10}}', ['a', 'b', 'k', 'l']],
        ['{"x": {"$gt": "a"}}', ['d']],
        ['{"x": {"$lt": "a"}}', ['c']],
        ['{"x": {"$gte": ""}}', ['c', 'd']],
        ['{"x": {"$gt": false}}', ['e']],
        ['{"x": {"$lte": true}}', ['e', 'f']],
        ['{"x": {"$lt": false}}', []],
        ['{"x": {"$gt": null}}', []],
        ['{"x": {"$gte": null}}', []],
        ['{"x": {"$lt": null}}', []],
        ['{"x": {"$lte": null}}', []],
        ['{"x": {"$in": [1, "b", null]}}', ['a', 'd', 'g', 'h']],
        ['{"x": {"$in": [true, 0]}}', ['e', 'k']],
        ['{"x": {"$in": ["1", 2.5, false]}}', ['b', 'c', 'f']],
        ['{"x": {"$in": []}}', []],
        ['{"x": {"$nin": [1, "b", null]}}', except('a', 'd', 'g', 'h')],
        ['{"x": {"$nin": [false]}}', except('f')],
        ['{"x": {"$nin": []}}', ALL],
        ['{"x": {"$exists": true}}', except('h')],
        ['{"x": {"$exists": false}}', ['h']],
        ['{"x.y": 1}', ['i']],
        ['{"x.y": {"$exists": true}}', ['i']],
        ['{"x.y": null}', except('i')],
        ['{"n": "alpha"}', ['a']],
        ['{"n": {"$exists": false}}', except('a')],
        ['{"$or": [{"x": 1}, {"x": "b"}]}', ['a', 'd']],
        ['{"$and": [{"x": {"$gte": 0}}, {"x": {"$lt": 2}}]}', ['a', 'k']],
        ['{"$or": [{"x": {"$exists": false}}, {"$and": [{"x": {"$gt": 0}}, {"x": {"$lt": 2}}]}]}', ['a', 'h']],
        ['{"x": {"$not": {"$gt": 1}}}', except('b')],
        ['{"x": {"$not": {"$in": [1, 2.5]}}}', except('a', 'b')],
        ['{"x": {"$not": {"$exists": true}}}', ['h']],
        ['{"x": {"$not": {"$eq": null}}}', except('g', 'h')],
        ['{"_id": "a"}', ['a']],
        ['{"_id": {"$in": ["a", "c", "zz"]}}', ['a', 'c']],
        ['{"_id": {"$gt": "i"}}', ['j', 'k', 'l']],
        ['{"_id": {"$ne": "a"}}', except('a')],
        ['{"_id": {"$nin": ["a", "b"]}}', except('a', 'b')],
        ['{"_id": "z"}', []],
        ['{"x": 1, "_id": {"$ne": "a"}}', []],
        ['{"x": {"$gte": 0}, "_id": {"$lte": "b"}}', ['a', 'b']],
      ])('filter %s', async (query, expected) => {
        expect(await search(query)).toEqual(expected);
      });

      it.each<[{ field: string; reverse: boolean }, string[]]>([
        // By type (missing/null, numbers, strings, objects, arrays, booleans), then value, ties by key.
        [{ field: 'x', reverse: false }, ['g', 'h', 'l', 'k', 'a', 'b', 'c', 'd', 'i', 'j', 'f', 'e']],
        [{ field: 'x', reverse: true }, ['e', 'f', 'j', 'i', 'd', 'c', 'b', 'a', 'k', 'l', 'g', 'h']],
        [{ field: 'n', reverse: false }, [...except('a'), 'a']],
        [{ field: 'n', reverse: true }, ALL],
        [{ field: '_id', reverse: false }, ALL],
        [{ field: '_id', reverse: true }, [...ALL].reverse()],
        [{ field: '', reverse: false }, ALL],
      ])('sort %j', async (sort, expected) => {
        expect(await search('{}', sort)).toEqual(expected);
      });

      it('combines filter, sort, limit and offset', async () => {
        expect(await search('{}', { field: 'x', reverse: false }, 3, 2)).toEqual(['l', 'k', 'a']);
        expect(await search('{"x": {"$gte": 0}}', { field: 'x', reverse: true })).toEqual(['b', 'a', 'k']);
        expect(await search('{}', undefined, 2, 11)).toEqual(['l']);
        expect(await search('{}', undefined, 5, 12)).toEqual([]);
        expect(await search('{}', { field: '_id', reverse: true }, 2)).toEqual(['l', 'k']);
      });

      it('returns whole entities and never another type or a deleted one', async () => {
        const found = await store.searchEntities({
          domain,
          type: 'thing',
          filter: parseFilter('{"x": 1}', 'entities'),
          sort: null,
          limit: 10,
          offset: 0,
        });
        expect(found).toEqual([{ ...ref('a'), values: DATA.a, version: 1 }]);
        const other = await store.searchEntities({
          domain,
          type: 'other',
          filter: null,
          sort: null,
          limit: 10,
          offset: 0,
        });
        expect(other.map((e) => e.key)).toEqual(['a']);
      });

      it('client text never becomes SQL: bad paths are refused, hostile literals are plain values', async () => {
        expect(() => parseFilter('{"x\\") OR 1=1; DROP TABLE entities; --": 1}', 'entities')).toThrow(
          expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
        );
        const hostile = `'); DROP TABLE entities; --"`;
        await store.append(intent.set(ref('hostile'), { x: hostile }));
        expect(await search(JSON.stringify({ x: hostile }))).toEqual(['hostile']);
        expect(await search(JSON.stringify({ _id: { $in: [hostile, 'a'] } }))).toEqual(['a']);
        expect(await search('{"x": "\' OR 1=1 --"}')).toEqual([]);
      });
    });

    describe('listTypes', () => {
      it('lists the types holding live entities with their counts, in code point order, paged', async () => {
        // U+FFFD sorts before U+1F680 by code point, after it by UTF-16 unit: the order must be the former.
        for (const [type, key] of [
          ['b', 'k1'],
          ['b', 'k2'],
          ['a', 'k1'],
          ['\u{1F680}', 'k'],
          ['\uFFFD', 'k'],
        ]) {
          await store.append(intent.set(ref(key!, type), { n: 1 }));
        }
        await store.append(intent.set(ref('gone', 'dead'), { n: 1 }));
        await store.append(intent.del(ref('gone', 'dead')));
        await store.append(intent.set(ref('k3', 'b'), { n: 1 }));
        await store.append(intent.del(ref('k3', 'b')));
        const all = await store.listTypes({ domain, limit: 10, offset: 0 });
        expect(all).toEqual([
          { domain, type: 'a', count: 1 },
          { domain, type: 'b', count: 2 },
          { domain, type: '\uFFFD', count: 1 },
          { domain, type: '\u{1F680}', count: 1 },
        ]);
        expect(await store.listTypes({ domain, limit: 2, offset: 1 })).toEqual(all.slice(1, 3));
        expect(await store.listTypes({ domain: `${domain}-none`, limit: 10, offset: 0 })).toEqual([]);
        // Every domain: this test's pairs appear in the same order among whatever else the store holds.
        const everywhere = await store.listTypes({ domain: null, limit: 100_000, offset: 0 });
        expect(everywhere.filter((t) => t.domain === domain)).toEqual(all);
      });
    });

    describe('searchEvents', () => {
      let ev: Record<'e1' | 'e2' | 'e3' | 'e4' | 'e5', Event>;

      beforeEach(async () => {
        const e1 = await store.append(intent.set(ref('k1'), { x: 1 }, { time: T0 + 1n, claims: { sub: 'alice' } }));
        // Noise of another type at a time inside the searched range.
        await store.append(intent.set(ref('k1', 'other'), { x: 1 }, { time: T0 + 3n, claims: { sub: 'alice' } }));
        const e2 = await store.append(intent.set(ref('k2'), { x: 'a' }, { time: T0 + 2n, claims: { sub: 'bob' } }));
        const e3 = await store.append(
          intent.edit(ref('k1'), { x: 2 }, { time: T0 + 3n, claims: { sub: 'alice', admin: true } }),
        );
        const e4 = await store.append(intent.del(ref('k2'), { time: T0 + 4n, claims: {} }));
        const e5 = await store.append(intent.set(ref('k3'), { x: null }, { time: T0 + 5n, claims: { sub: 'carol' } }));
        ev = { e1, e2, e3, e4, e5 };
      });

      type Name = keyof typeof ev;
      const search = async (
        query: string,
        opts: { min?: bigint; max?: bigint; after?: Name; sort?: { field: string; reverse: boolean } } = {},
        limit = 100,
        offset = 0,
      ): Promise<Name[]> => {
        const found = await store.searchEvents({
          domain,
          type: 'thing',
          filter: parseFilter(query, 'events'),
          sort: parseSort(opts.sort, 'events'),
          min: opts.min,
          max: opts.max,
          after: opts.after ? ev[opts.after].position : undefined,
          limit,
          offset,
        });
        return found.map((event) => {
          const entry = Object.entries(ev).find(([, e]) => e.id === event.id);
          if (!entry) throw new Error(`unexpected event ${event.id}`);
          expect(event).toEqual(entry[1]);
          return entry[0] as Name;
        });
      };

      it('returns the events of one domain and type in position order', async () => {
        expect(await search('')).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
        expect(ev.e4.entity.values).toEqual({ x: 'a' });
      });

      it.each<[string | ((e: typeof ev) => string), Name[]]>([
        [`{"method": "${Method.entityEdit}"}`, ['e3']],
        [`{"method": {"$in": ["${Method.entityEdit}", "${Method.entityDel}"]}}`, ['e3', 'e4']],
        [`{"method": {"$ne": "${Method.entitySet}"}}`, ['e3', 'e4']],
        [`{"time": "${T0 + 2n}"}`, ['e2']],
        [`{"time": {"$gte": "${T0 + 3n}"}}`, ['e3', 'e4', 'e5']],
        [`{"time": {"$gt": "${T0 + 1n}", "$lt": "${T0 + 4n}"}}`, ['e2', 'e3']],
        [`{"time": {"$in": ["${T0 + 1n}", "${T0 + 5n}"]}}`, ['e1', 'e5']],
        [(e) => `{"position": {"$gt": ${e.e2.position}}}`, ['e3', 'e4', 'e5']],
        [(e) => `{"position": {"$lte": ${e.e2.position}}}`, ['e1', 'e2']],
        [(e) => `{"position": ${e.e4.position}}`, ['e4']],
        ['{"entity.key": "k1"}', ['e1', 'e3']],
        ['{"entity.key": {"$gte": "k2"}}', ['e2', 'e4', 'e5']],
        ['{"entity.version": 2}', ['e3', 'e4']],
        ['{"entity.values.x": "a"}', ['e2', 'e4']],
        ['{"entity.values.x": null}', ['e5']],
        ['{"entity.values.x": {"$gt": 1}}', ['e3']],
        ['{"entity.values.x": {"$ne": 1}}', ['e2', 'e3', 'e4', 'e5']],
        ['{"claims.sub": "alice"}', ['e1', 'e3']],
        ['{"claims.sub": {"$exists": false}}', ['e4']],
        ['{"claims.sub": {"$ne": "alice"}}', ['e2', 'e4', 'e5']],
        ['{"claims.admin": true}', ['e3']],
        [(e) => `{"_id": "${e.e3.id}"}`, ['e3']],
        [(e) => `{"_id": {"$in": ["${e.e1.id}", "${e.e5.id}"]}}`, ['e1', 'e5']],
        ['{"$or": [{"entity.key": "k2"}, {"claims.admin": true}]}', ['e2', 'e3', 'e4']],
        ['{"$and": [{"entity.key": "k1"}, {"claims.admin": {"$not": {"$eq": true}}}]}', ['e1']],
      ])('filter %s', async (query, expected) => {
        expect(await search(typeof query === 'function' ? query(ev) : query)).toEqual(expected);
      });

      it('bounds time inclusively with min/max and pages by position with after', async () => {
        expect(await search('', { min: T0 + 2n, max: T0 + 4n })).toEqual(['e2', 'e3', 'e4']);
        expect(await search('', { min: T0 + 5n })).toEqual(['e5']);
        expect(await search('', { max: T0 + 1n })).toEqual(['e1']);
        expect(await search('', { min: T0 + 6n })).toEqual([]);
        expect(await search('', { after: 'e3' })).toEqual(['e4', 'e5']);
        expect(await search('{"entity.key": "k1"}', { after: 'e1' })).toEqual(['e3']);
        expect(await search('', { after: 'e1', max: T0 + 3n })).toEqual(['e2', 'e3']);
      });

      it('sorts by a field with ties by position, and pages with limit/offset', async () => {
        expect(await search('', { sort: { field: 'time', reverse: true } })).toEqual(['e5', 'e4', 'e3', 'e2', 'e1']);
        expect(await search('', { sort: { field: 'position', reverse: true } })).toEqual([
          'e5',
          'e4',
          'e3',
          'e2',
          'e1',
        ]);
        const byId = (Object.keys(ev) as Name[]).sort((a, b) => (ev[a].id < ev[b].id ? -1 : 1));
        expect(await search('', { sort: { field: '_id', reverse: false } })).toEqual(byId);
        expect(await search('', { sort: { field: 'entity.values.x', reverse: false } })).toEqual([
          'e5',
          'e1',
          'e3',
          'e2',
          'e4',
        ]);
        expect(await search('', { sort: { field: 'entity.values.x', reverse: true } })).toEqual([
          'e2',
          'e4',
          'e3',
          'e1',
          'e5',
        ]);
        expect(await search('', { sort: { field: 'claims.sub', reverse: false } })).toEqual([
          'e4',
          'e1',
          'e3',
          'e2',
          'e5',
        ]);
        expect(await search('', { sort: { field: 'entity.version', reverse: true } })).toEqual([
          'e3',
          'e4',
          'e1',
          'e2',
          'e5',
        ]);
        expect(await search('', {}, 2, 1)).toEqual(['e2', 'e3']);
        expect(await search('', { sort: { field: 'time', reverse: true } }, 2)).toEqual(['e5', 'e4']);
        expect(await search('', { sort: { field: 'time', reverse: false } }, 10, 4)).toEqual(['e5']);
      });
    });

    describe('close', () => {
      it('acknowledges the appends issued before close, refuses later ones with UNAVAILABLE', async () => {
        const pending = range(1, 5).map((i) => store.append(intent.set(ref(`k${i}`), { i })));
        await store.close();
        const settled = await Promise.allSettled(pending);
        expect(settled.map((s) => s.status)).toEqual(range(1, 5).map(() => 'fulfilled'));
        expect((await refusal(store.append(intent.set(ref('late'), {})))).code).toBe('UNAVAILABLE');
        await store.close(); // idempotent: afterEach closes again
      });
    });
  });
}

/** A realistic nanosecond time (> 2^53) so that any loss of precision shows. */
export const T0 = 1_700_000_000_000_000_000n;

export interface IntentOptions {
  expectedVersion?: number;
  time?: bigint;
  claims?: JsonObject;
  eventId?: string;
}

/**
 * WriteIntents as core's EntityService builds them, by hand, so the suite tests storage alone:
 * Set replaces, Edit merges (NOT_FOUND when absent), Del deletes (NOT_FOUND when absent), Revert restores.
 */
export const intent = {
  set(target: EntityKey, values: JsonObject, options: IntentOptions = {}): WriteIntent {
    return build(target, Method.entitySet, options, () => values);
  },
  edit(target: EntityKey, patch: JsonObject, options: IntentOptions = {}): WriteIntent {
    return build(target, Method.entityEdit, options, (live) => {
      if (!live) throw notFound('entity not found');
      return mergePatch(live.values, patch) as JsonObject;
    });
  },
  del(target: EntityKey, options: IntentOptions = {}): WriteIntent {
    return build(target, Method.entityDel, options, (live) => {
      if (!live) throw notFound('entity not found');
      return null;
    });
  },
  revert(target: EntityKey, event: Event, options: IntentOptions = {}): WriteIntent {
    return build(target, Method.entityRevert, options, () => event.entity.values);
  },
};

function build(
  target: EntityKey,
  method: string,
  options: IntentOptions,
  next: (live: Entity | null) => JsonObject | null,
): WriteIntent {
  return {
    target: { domain: target.domain, type: target.type, key: target.key },
    expectedVersion: options.expectedVersion ?? 0,
    method,
    claims: options.claims ?? {},
    eventId: options.eventId ?? randomUUID(),
    time: options.time ?? BigInt(Date.now()) * 1_000_000n,
    next,
  };
}

/** Awaits a promise that must reject with a StategateError, and returns that error. */
async function refusal(promise: Promise<unknown>): Promise<StategateError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(StategateError);
    return err as StategateError;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
