/**
 * The one table of conformance scenarios. Each scenario is a small function of a transport and a context
 * (a namespace — the domain — of its own, and a way to wait for a stream to be registered) that returns
 * the observable outcome: the results of its calls, normalized by the transport and then made
 * run-independent by `observe` (the namespace reads `$NS`, uuids / tokens are labelled by first
 * appearance, positions by rank, times checked to fall within the scenario). `expected` is that outcome
 * as it must be on every transport; error messages are left open there (`err`), but must be identical on
 * the five transports, which the suite checks separately.
 */
import type { CallResult, ConformanceTransport, Json, JsonObject, StreamHandle, StreamRpc } from './transport.js';
import { StreamError } from './transport.js';

export interface ScenarioContext {
  /** A name unique to this transport × scenario: the domain the scenario works in (and prefix of others). */
  ns: string;
  /** Waits until the server has exactly `count` live subscribers of a kind (streams are not acknowledged). */
  subscribers(kind: 'event' | 'message', count: number): Promise<void>;
}

export interface Scenario {
  name: string;
  run(t: ConformanceTransport, ctx: ScenarioContext): Promise<Json>;
  /** The outcome after `observe`, the same for every transport (may hold asymmetric matchers). */
  expected: unknown;
  /**
   * Known differences, by transport name: the reason that transport does not conform yet. Its test is
   * expected to fail (`it.failing`), so it turns red once the difference is fixed and this entry must go.
   */
  known?: Readonly<Record<string, string>>;
  /**
   * Transports whose error *messages* may differ here (codes and results may not), with the reason: e.g.
   * GraphQL's type system refuses some input in its own words before core sees it.
   */
  messagesDiffer?: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------------------------------------------
// rpc names

const E_SET = '/stategate.EntityService/Set';
const E_EDIT = '/stategate.EntityService/Edit';
const E_REVERT = '/stategate.EntityService/Revert';
const E_GET = '/stategate.EntityService/Get';
const E_DEL = '/stategate.EntityService/Del';
const E_SEARCH = '/stategate.EntityService/Search';
const E_TYPES = '/stategate.EntityService/ListTypes';
const EV_STREAM = '/stategate.EventService/Stream';
const EV_SEARCH = '/stategate.EventService/Search';
const EV_GET = '/stategate.EventService/Get';
const P_BROADCAST = '/stategate.PeerService/Broadcast';
const P_STREAM = '/stategate.PeerService/Stream';
const C_SET = '/stategate.CacheService/Set';
const C_GET = '/stategate.CacheService/Get';
const C_DEL = '/stategate.CacheService/Del';
const M_LOCK = '/stategate.MutexService/Lock';
const M_UNLOCK = '/stategate.MutexService/Unlock';

// ---------------------------------------------------------------------------------------------------
// Streams: reading a given number of items, or how the stream ended first

/** What `take` got: the items, and `end` when the stream stopped before: a code, END, or TIMEOUT. */
export type Taken = { items: Json[]; end?: string };

export interface Reader {
  take(count: number, timeoutMs?: number): Promise<Taken>;
  close(): void;
}

/** Opens a stream and reads it `count` items at a time (one iterator, so no item is lost to a timeout). */
export function open(t: ConformanceTransport, rpc: StreamRpc, request: JsonObject): Reader {
  const handle: StreamHandle = t.stream(rpc, request);
  const iterator = handle.items[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<Json>> | undefined;
  let ended: string | undefined;
  return {
    async take(count, timeoutMs = 5_000) {
      const items: Json[] = [];
      const deadline = Date.now() + timeoutMs;
      while (items.length < count && ended === undefined) {
        pending ??= iterator.next();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
        });
        try {
          const result = await Promise.race([pending, timeout]);
          if (result === 'timeout') return { items, end: 'TIMEOUT' };
          pending = undefined;
          if (result.done) ended = 'END';
          else items.push(result.value);
        } catch (e) {
          pending = undefined;
          ended = e instanceof StreamError ? e.code : `CLIENT_ERROR: ${String(e)}`;
        } finally {
          clearTimeout(timer);
        }
      }
      return items.length < count && ended !== undefined ? { items, end: ended } : { items };
    },
    close: () => handle.close(),
  };
}

// ---------------------------------------------------------------------------------------------------
// Observing an outcome

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const UUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

export interface Window {
  ns: string;
  /** The scenario's start and end, in ns since the epoch: every `time` must fall within. */
  from: bigint;
  to: bigint;
}

/**
 * The outcome made independent of the run: the namespace as `$NS`; uuids as `<uuid#i>` and lease tokens
 * as `<token#i>` (i = order of first appearance, so the same id twice reads the same); positions as
 * `<pos#r>` and fencing numbers as `<fencing#r>` (r = rank among the outcome's positions / fencing numbers:
 * both count across the whole server, so only their order is the scenario's own); `time` values as `<time>` when they fall within the
 * scenario, else left as they are so the comparison fails. Inside other text (error messages) any uuid
 * reads `<uuid>` and any nanosecond time `<ns>`.
 */
export function observe(outcome: Json, window: Window): Json {
  const positions = new Set<bigint>();
  const fencings = new Set<bigint>();
  const collect = (value: Json): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k === 'position' && typeof v === 'string' && /^\d+$/.test(v)) positions.add(BigInt(v));
        else if (k === 'fencing' && typeof v === 'string' && /^\d+$/.test(v)) fencings.add(BigInt(v));
        else collect(v);
      }
    }
  };
  collect(outcome);
  const rank = (values: Set<bigint>) =>
    new Map([...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((p, i) => [p, i]));
  const ranks = rank(positions);
  const fencingRanks = rank(fencings);
  const labels = new Map<string, string>();
  const label = (kind: string, value: string) => {
    const key = `${kind}:${value}`;
    if (!labels.has(key))
      labels.set(key, `<${kind}#${[...labels.keys()].filter((k) => k.startsWith(`${kind}:`)).length}>`);
    return labels.get(key)!;
  };
  const walk = (value: Json, key?: string): Json => {
    if (Array.isArray(value)) return value.map((v) => walk(v));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    }
    if (typeof value !== 'string') return value;
    if (key === 'position' && /^\d+$/.test(value)) return `<pos#${ranks.get(BigInt(value))}>`;
    if (key === 'fencing' && /^\d+$/.test(value)) return `<fencing#${fencingRanks.get(BigInt(value))}>`;
    if (key === 'time' && /^\d+$/.test(value)) {
      const ns = BigInt(value);
      return ns >= window.from && ns <= window.to ? '<time>' : value;
    }
    if (key === 'token' && value !== '') return label('token', value);
    if (UUID_V4.test(value)) return label('uuid', value);
    // Inside other text (error messages): the namespace, any uuid and any time in ns read the same.
    return value
      .split(window.ns)
      .join('$NS')
      .replace(UUIDS, '<uuid>')
      .replace(/\b\d{16,}\b/g, '<ns>');
  };
  return walk(outcome);
}

// ---------------------------------------------------------------------------------------------------
// Helpers for scenarios and their expected outcomes

const ok = (response: unknown) => ({ ok: true, response });
/** An error with this code; its message is left open here (the suite compares it across transports). */
const err = (code: string) => ({ ok: false, code, message: expect.any(String) });

const entity = (key: string, values: unknown, version: string, type = 'user', domain = '$NS') => ({
  domain,
  type,
  key,
  values,
  version,
});

const event = (id: number, ent: unknown, method: string, position: number) => ({
  id: `<uuid#${id}>`,
  entity: ent,
  claims: {},
  time: '<time>',
  method: `/stategate.EntityService/${method}`,
  position: `<pos#${position}>`,
});

/** A value inside a successful result, e.g. get(r, 'events', 0, 'id'); throws when the call failed. */
function get(result: CallResult, ...path: Array<string | number>): Json {
  if (!result.ok) throw new Error(`the call failed: ${result.code} ${result.message}`);
  let value: Json = result.response;
  for (const step of path) value = (value as Record<string, Json> | Json[])[step as never] ?? null;
  return value;
}

/** The keys of the entities or events of a search result (or the error). */
function keys(result: CallResult): Json {
  if (!result.ok) return result;
  const response = result.response as {
    entities?: Array<{ key: string }>;
    events?: Array<{ entity: { key: string } }>;
  };
  return response.entities?.map((e) => e.key) ?? response.events?.map((e) => e.entity.key) ?? null;
}

/** All events of one entity, in log order. */
function eventsOf(t: ConformanceTransport, domain: string, key: string, type = 'user'): Promise<CallResult> {
  return t.call(EV_SEARCH, {
    domain,
    type,
    query_string: JSON.stringify({ 'entity.key': key }),
    limit: 100,
    sort: { field: 'position' },
  });
}

/** A time this many ms from now, in RFC 3339 with ms. */
const fromNow = (ms: number) => new Date(Date.now() + ms).toISOString();

/**
 * A lease with its `exp` checked: the one asked for (core grants the lease's length, so the exp it answers
 * may lie a little later, by the time the request took), or (none asked) in the future within `maxMs`.
 */
function lease(result: CallResult, asked?: string, maxMs = 3_600_000): Json {
  if (!result.ok) return result;
  const response = result.response as JsonObject;
  const exp = response.exp as string;
  const ms = Date.parse(exp);
  const late = asked ? ms - Date.parse(asked) : Number.NaN;
  const expOk = asked ? late >= 0 && late < 1_000 : ms > Date.now() && ms <= Date.now() + maxMs;
  return { ...result, response: { ...response, exp: expOk ? (asked ? '<as asked>' : '<in the future>') : exp } };
}

const UNKNOWN_EVENT = '9b2f1c1e-8e0a-4b5e-9d7a-3c4b5a6d7e8f';
const FAR_FUTURE = '2999-01-01T00:00:00.250Z';

// ---------------------------------------------------------------------------------------------------
// The table

export const scenarios: Scenario[] = [
  // ------------------------------------------------------------------------------- EntityService
  {
    name: 'EntityService.Set then Get: the values, version 1',
    async run(t, { ns }) {
      const ref = { domain: ns, type: 'user', key: 'alice' };
      const values = { a: 1, b: { c: [true, null, 'x', 1.5] }, s: 'é ü 😀', empty: {} };
      return { set: await t.call(E_SET, { ...ref, values }), get: await t.call(E_GET, ref) };
    },
    expected: {
      set: ok({}),
      get: ok(entity('alice', { a: 1, b: { c: [true, null, 'x', 1.5] }, s: 'é ü 😀', empty: {} }, '1')),
    },
  },
  {
    name: 'EntityService.Set: version preconditions (-1 = must not exist, N = current) else ABORTED',
    async run(t, { ns }) {
      const set = (values: JsonObject, version: string) =>
        t.call(E_SET, { domain: ns, type: 'user', key: 'k', values, version });
      return {
        create: await set({ n: 1 }, '-1'),
        createAgain: await set({ n: 2 }, '-1'),
        wrongVersion: await set({ n: 3 }, '7'),
        rightVersion: await set({ n: 4 }, '1'),
        none: await set({ n: 5 }, '0'),
        below: await set({ n: 6 }, '-2'),
        get: await t.call(E_GET, { domain: ns, type: 'user', key: 'k' }),
      };
    },
    expected: {
      create: ok({}),
      createAgain: err('ABORTED'),
      wrongVersion: err('ABORTED'),
      rightVersion: ok({}),
      none: ok({}),
      below: err('INVALID_ARGUMENT'),
      get: ok(entity('k', { n: 5 }, '3')),
    },
  },
  {
    name: 'EntityService.Set: whitespace or overlong names are INVALID_ARGUMENT and write nothing',
    async run(t, { ns }) {
      const set = (ref: JsonObject) => t.call(E_SET, { domain: ns, type: 'user', key: 'k', values: { n: 1 }, ...ref });
      return {
        spaceKey: await set({ key: 'a b' }),
        tabType: await set({ type: 'us\ter' }),
        newlineDomain: await set({ domain: `${ns}\n` }),
        overlongKey: await set({ key: 'k'.repeat(257) }),
        nothingWritten: await t.call(E_SEARCH, { domain: ns, type: 'user', limit: 10 }),
      };
    },
    expected: {
      spaceKey: err('INVALID_ARGUMENT'),
      tabType: err('INVALID_ARGUMENT'),
      newlineDomain: err('INVALID_ARGUMENT'),
      overlongKey: err('INVALID_ARGUMENT'),
      nothingWritten: ok({ entities: [] }),
    },
  },
  {
    name: 'required Struct fields left out (Set and Edit values, Broadcast body) are INVALID_ARGUMENT',
    async run(t, { ns }) {
      return {
        set: await t.call(E_SET, { domain: ns, type: 'user', key: 'k' }),
        edit: await t.call(E_EDIT, { domain: ns, type: 'user', key: 'k' }),
        broadcast: await t.call(P_BROADCAST, { domain: ns, channel: 'c', type: 't' }),
        nothingWritten: await t.call(E_GET, { domain: ns, type: 'user', key: 'k' }),
      };
    },
    expected: {
      set: err('INVALID_ARGUMENT'),
      edit: err('INVALID_ARGUMENT'),
      broadcast: err('INVALID_ARGUMENT'),
      nothingWritten: err('NOT_FOUND'),
    },
    messagesDiffer: {
      graphql: 'its schema declares values and body non-null (JSON!), so GraphQL refuses the request before core',
    },
  },
  {
    name: 'empty names in REST path variables are INVALID_ARGUMENT (every rpc with a name in its path)',
    async run(t, { ns }) {
      const ref = { domain: ns, type: 'user', key: 'k' };
      return {
        setKey: await t.call(E_SET, { ...ref, key: '', values: {} }),
        editType: await t.call(E_EDIT, { ...ref, type: '', values: {} }),
        revertDomain: await t.call(E_REVERT, { ...ref, domain: '', id: UNKNOWN_EVENT }),
        getKey: await t.call(E_GET, { ...ref, key: '' }),
        delType: await t.call(E_DEL, { ...ref, type: '' }),
        eventGetKey: await t.call(EV_GET, { ...ref, key: '', id: UNKNOWN_EVENT }),
        eventGetId: await t.call(EV_GET, { ...ref, id: '' }),
        cacheSetKey: await t.call(C_SET, { domain: ns, key: '', value: 1 }),
        cacheGetKey: await t.call(C_GET, { domain: ns, key: '' }),
        cacheDelDomain: await t.call(C_DEL, { domain: '', key: 'k' }),
        lockKey: await t.call(M_LOCK, { domain: ns, key: '' }),
        unlockDomain: await t.call(M_UNLOCK, { domain: '', key: 'k' }),
      };
    },
    expected: {
      setKey: err('INVALID_ARGUMENT'),
      editType: err('INVALID_ARGUMENT'),
      revertDomain: err('INVALID_ARGUMENT'),
      getKey: err('INVALID_ARGUMENT'),
      delType: err('INVALID_ARGUMENT'),
      eventGetKey: err('INVALID_ARGUMENT'),
      eventGetId: err('INVALID_ARGUMENT'),
      cacheSetKey: err('INVALID_ARGUMENT'),
      cacheGetKey: err('INVALID_ARGUMENT'),
      cacheDelDomain: err('INVALID_ARGUMENT'),
      lockKey: err('INVALID_ARGUMENT'),
      unlockDomain: err('INVALID_ARGUMENT'),
    },
  },
  {
    name: 'EntityService.Edit: a JSON Merge Patch answering the new state; NOT_FOUND when missing; ABORTED when stale',
    async run(t, { ns }) {
      const ref = { domain: ns, type: 'user', key: 'k' };
      return {
        missing: await t.call(E_EDIT, { ...ref, values: { a: 1 } }),
        set: await t.call(E_SET, { ...ref, values: { a: 1, b: { c: 2, d: 3 }, keep: true } }),
        merged: await t.call(E_EDIT, { ...ref, values: { b: { c: null, e: 4 }, f: 'new' } }),
        stale: await t.call(E_EDIT, { ...ref, values: { x: 1 }, version: '1' }),
        mustNotExist: await t.call(E_EDIT, { ...ref, values: { x: 1 }, version: '-1' }),
        current: await t.call(E_EDIT, { ...ref, values: { a: null, list: [1, { z: null }] }, version: '2' }),
        get: await t.call(E_GET, ref),
      };
    },
    expected: {
      missing: err('NOT_FOUND'),
      set: ok({}),
      merged: ok(entity('k', { a: 1, b: { d: 3, e: 4 }, keep: true, f: 'new' }, '2')),
      stale: err('ABORTED'),
      mustNotExist: err('ABORTED'),
      // Arrays are replaced whole; a null inside a replaced array is a value, not a removal.
      current: ok(entity('k', { b: { d: 3, e: 4 }, keep: true, f: 'new', list: [1, { z: null }] }, '3')),
      get: ok(entity('k', { b: { d: 3, e: 4 }, keep: true, f: 'new', list: [1, { z: null }] }, '3')),
    },
  },
  {
    name: 'EntityService.Get: NOT_FOUND when missing; a past version or time; version with at, -1 or a negative at are INVALID_ARGUMENT',
    async run(t, { ns }) {
      const ref = { domain: ns, type: 'user', key: 'k' };
      const missing = await t.call(E_GET, ref);
      await t.call(E_SET, { ...ref, values: { n: 1 } });
      await t.call(E_SET, { ...ref, values: { n: 2 } });
      const events = await eventsOf(t, ns, 'k');
      const firstTime = get(events, 'events', 0, 'time') as string;
      return {
        missing,
        current: await t.call(E_GET, ref),
        version1: await t.call(E_GET, { ...ref, version: '1' }),
        atFirst: await t.call(E_GET, { ...ref, at: firstTime }),
        beforeFirst: await t.call(E_GET, { ...ref, at: (BigInt(firstTime) - 1n).toString() }),
        noSuchVersion: await t.call(E_GET, { ...ref, version: '9' }),
        versionAndAt: await t.call(E_GET, { ...ref, version: '1', at: firstTime }),
        minusOne: await t.call(E_GET, { ...ref, version: '-1' }),
        negativeAt: await t.call(E_GET, { ...ref, at: '-5' }),
      };
    },
    expected: {
      missing: err('NOT_FOUND'),
      current: ok(entity('k', { n: 2 }, '2')),
      version1: ok(entity('k', { n: 1 }, '1')),
      atFirst: ok(entity('k', { n: 1 }, '1')),
      beforeFirst: err('NOT_FOUND'),
      noSuchVersion: err('NOT_FOUND'),
      versionAndAt: err('INVALID_ARGUMENT'),
      minusOne: err('INVALID_ARGUMENT'),
      negativeAt: err('INVALID_ARGUMENT'),
    },
  },
  {
    name: 'EntityService.Del: preconditions ABORTED; then Get is NOT_FOUND, Del again NOT_FOUND; history continues',
    async run(t, { ns }) {
      const ref = { domain: ns, type: 'user', key: 'k' };
      return {
        missing: await t.call(E_DEL, ref),
        set: await t.call(E_SET, { ...ref, values: { n: 1 } }),
        stale: await t.call(E_DEL, { ...ref, version: '5' }),
        mustNotExist: await t.call(E_DEL, { ...ref, version: '-1' }),
        del: await t.call(E_DEL, { ...ref, version: '1' }),
        getAfter: await t.call(E_GET, ref),
        delAgain: await t.call(E_DEL, ref),
        pastVersion: await t.call(E_GET, { ...ref, version: '1' }),
        setAgain: await t.call(E_SET, { ...ref, values: { n: 2 }, version: '-1' }),
        getAgain: await t.call(E_GET, ref),
        events: await eventsOf(t, ns, 'k'),
      };
    },
    expected: {
      missing: err('NOT_FOUND'),
      set: ok({}),
      stale: err('ABORTED'),
      mustNotExist: err('ABORTED'),
      del: ok({}),
      getAfter: err('NOT_FOUND'),
      delAgain: err('NOT_FOUND'),
      pastVersion: ok(entity('k', { n: 1 }, '1')),
      setAgain: ok({}),
      getAgain: ok(entity('k', { n: 2 }, '3')),
      events: ok({
        events: [
          event(0, entity('k', { n: 1 }, '1'), 'Set', 0),
          // Del's event carries the state before the deletion, with the deletion's own version.
          event(1, entity('k', { n: 1 }, '2'), 'Del', 1),
          event(2, entity('k', { n: 2 }, '3'), 'Set', 2),
        ],
      }),
    },
  },
  {
    name: 'EntityService.Revert: a version precondition as for Set (stale ABORTED, current or -1 when deleted OK); Get of an event refuses a version',
    async run(t, { ns }) {
      const ref = { domain: ns, type: 'user', key: 'k' };
      await t.call(E_SET, { ...ref, values: { n: 1 } });
      await t.call(E_SET, { ...ref, values: { n: 2 } });
      const first = get(await eventsOf(t, ns, 'k'), 'events', 0, 'id') as string;
      const stale = await t.call(E_REVERT, { ...ref, id: first, version: '1' });
      const mustNotExist = await t.call(E_REVERT, { ...ref, id: first, version: '-1' });
      const current = await t.call(E_REVERT, { ...ref, id: first, version: '2' });
      await t.call(E_DEL, ref);
      return {
        stale,
        mustNotExist,
        current,
        deleted: await t.call(E_REVERT, { ...ref, id: first, version: '-1' }),
        below: await t.call(E_REVERT, { ...ref, id: first, version: '-2' }),
        getWithVersion: await t.call(EV_GET, { ...ref, id: first, version: '1' }),
        afterRevert: await t.call(E_GET, ref),
      };
    },
    expected: {
      stale: err('ABORTED'),
      mustNotExist: err('ABORTED'),
      current: ok(entity('k', { n: 1 }, '3')),
      deleted: ok(entity('k', { n: 1 }, '5')),
      below: err('INVALID_ARGUMENT'),
      getWithVersion: err('INVALID_ARGUMENT'),
      afterRevert: ok(entity('k', { n: 1 }, '5')),
    },
  },
  {
    name: "EntityService.Revert: back to an event of its own as a new version; NOT_FOUND for another entity's or an unknown event; INVALID_ARGUMENT for a bad id",
    async run(t, { ns }) {
      const ref = { domain: ns, type: 'user', key: 'k' };
      await t.call(E_SET, { ...ref, values: { n: 1 } });
      await t.call(E_SET, { ...ref, values: { n: 2 } });
      await t.call(E_SET, { ...ref, key: 'other', values: { o: 1 } });
      const first = get(await eventsOf(t, ns, 'k'), 'events', 0, 'id') as string;
      const others = get(await eventsOf(t, ns, 'other'), 'events', 0, 'id') as string;
      return {
        revert: await t.call(E_REVERT, { ...ref, id: first }),
        get: await t.call(E_GET, ref),
        othersEvent: await t.call(E_REVERT, { ...ref, id: others }),
        otherType: await t.call(E_REVERT, { ...ref, type: 'admin', id: first }),
        unknown: await t.call(E_REVERT, { ...ref, id: UNKNOWN_EVENT }),
        notAUuid: await t.call(E_REVERT, { ...ref, id: 'not-a-uuid' }),
        emptyId: await t.call(E_REVERT, { ...ref, id: '' }),
        methods: await eventsOf(t, ns, 'k'),
      };
    },
    expected: {
      revert: ok(entity('k', { n: 1 }, '3')),
      get: ok(entity('k', { n: 1 }, '3')),
      othersEvent: err('NOT_FOUND'),
      otherType: err('NOT_FOUND'),
      unknown: err('NOT_FOUND'),
      notAUuid: err('INVALID_ARGUMENT'),
      emptyId: err('INVALID_ARGUMENT'),
      methods: ok({
        events: [
          event(0, entity('k', { n: 1 }, '1'), 'Set', 0),
          event(1, entity('k', { n: 2 }, '2'), 'Set', 1),
          event(2, entity('k', { n: 1 }, '3'), 'Revert', 2),
        ],
      }),
    },
  },
  {
    name: 'EntityService.Search: filter, sort, limit and offset; nothing found is an empty list',
    async run(t, { ns }) {
      for (const [key, n] of [
        ['c', 3],
        ['a', 1],
        ['d', 4],
        ['b', 2],
      ] as const) {
        await t.call(E_SET, { domain: ns, type: 'user', key, values: { n, odd: n % 2 === 1, tag: { t: `t${n}` } } });
      }
      const search = (opts: JsonObject) => t.call(E_SEARCH, { domain: ns, type: 'user', limit: 10, ...opts });
      return {
        all: await search({ sort: { field: '_id' } }),
        filtered: keys(
          await search({ query_string: JSON.stringify({ n: { $gte: 2 } }), sort: { field: 'n', reverse: true } }),
        ),
        page: keys(await search({ sort: { field: 'n' }, limit: 2, offset: 1 })),
        nested: keys(
          await search({ query_string: JSON.stringify({ 'tag.t': { $in: ['t1', 't4'] } }), sort: { field: 'n' } }),
        ),
        logic: keys(
          await search({
            query_string: JSON.stringify({ $or: [{ odd: true }, { n: { $not: { $lt: 4 } } }], _id: { $ne: 'a' } }),
            sort: { field: 'tag.t' },
          }),
        ),
        exists: keys(await search({ query_string: JSON.stringify({ missing: { $exists: true } }) })),
        otherType: await search({ type: 'nobody' }),
      };
    },
    expected: {
      all: ok({
        entities: [
          entity('a', { n: 1, odd: true, tag: { t: 't1' } }, '1'),
          entity('b', { n: 2, odd: false, tag: { t: 't2' } }, '1'),
          entity('c', { n: 3, odd: true, tag: { t: 't3' } }, '1'),
          entity('d', { n: 4, odd: false, tag: { t: 't4' } }, '1'),
        ],
      }),
      filtered: ['d', 'c', 'b'],
      page: ['b', 'c'],
      nested: ['a', 'd'],
      logic: ['c', 'd'],
      exists: [],
      otherType: ok({ entities: [] }),
    },
  },
  {
    name: 'EntityService.ListTypes: the types holding live entities, with counts, paged; bad options refused',
    async run(t, { ns }) {
      for (const [type, key] of [
        ['user', 'b'],
        ['order', 'x'],
        ['user', 'a'],
        ['gone', 'g'],
      ] as const) {
        await t.call(E_SET, { domain: ns, type, key, values: {} });
      }
      await t.call(E_DEL, { domain: ns, type: 'gone', key: 'g' });
      const list = (opts: JsonObject) => t.call(E_TYPES, { domain: ns, limit: 10, ...opts });
      return {
        all: await list({}),
        page: await list({ limit: 1, offset: 1 }),
        otherDomain: await list({ domain: `${ns}-none` }),
        zeroLimit: await list({ limit: 0 }),
        negativeOffset: await list({ offset: -1 }),
        spaceDomain: await list({ domain: 'a b' }),
      };
    },
    expected: {
      all: ok({
        types: [
          { domain: '$NS', type: 'order', count: '1' },
          { domain: '$NS', type: 'user', count: '2' },
        ],
      }),
      page: ok({ types: [{ domain: '$NS', type: 'user', count: '2' }] }),
      otherDomain: ok({ types: [] }),
      zeroLimit: err('INVALID_ARGUMENT'),
      negativeOffset: err('INVALID_ARGUMENT'),
      spaceDomain: err('INVALID_ARGUMENT'),
    },
  },
  {
    name: 'EntityService.Search: bad filters and options are INVALID_ARGUMENT',
    async run(t, { ns }) {
      const search = (opts: JsonObject) => t.call(E_SEARCH, { domain: ns, type: 'user', limit: 10, ...opts });
      return {
        forbiddenOperator: await search({ query_string: '{"$where":"1"}' }),
        regex: await search({ query_string: JSON.stringify({ a: { $regex: 'x' } }) }),
        malformedJson: await search({ query_string: '{"a":' }),
        notAnObject: await search({ query_string: '[1]' }),
        badPath: await search({ query_string: JSON.stringify({ 'a..b': 1 }) }),
        badSort: await search({ sort: { field: 'a..b' } }),
        zeroLimit: await search({ limit: 0 }),
        negativeLimit: await search({ limit: -1 }),
        negativeOffset: await search({ offset: -1 }),
        emptyDomain: await search({ domain: '' }),
        spaceType: await search({ type: 'a b' }),
      };
    },
    expected: {
      forbiddenOperator: err('INVALID_ARGUMENT'),
      regex: err('INVALID_ARGUMENT'),
      malformedJson: err('INVALID_ARGUMENT'),
      notAnObject: err('INVALID_ARGUMENT'),
      badPath: err('INVALID_ARGUMENT'),
      badSort: err('INVALID_ARGUMENT'),
      zeroLimit: err('INVALID_ARGUMENT'),
      negativeLimit: err('INVALID_ARGUMENT'),
      negativeOffset: err('INVALID_ARGUMENT'),
      emptyDomain: err('INVALID_ARGUMENT'),
      spaceType: err('INVALID_ARGUMENT'),
    },
  },
  {
    name: 'proto3 zero values mean "not given" on every transport (version 0, at 0, empty query_string and sort field, min/max/after 0, empty token and consumer group)',
    async run(t, { ns, subscribers }) {
      const ref = { domain: ns, type: 'user', key: 'k' };
      const stream = open(t, EV_STREAM, { domain: ns, type: '', key: '', consumer_group: '' });
      try {
        await subscribers('event', 1);
        const set = await t.call(E_SET, { ...ref, values: { n: 1 }, version: '0' });
        const lock = await t.call(M_LOCK, { domain: ns, key: 'm' });
        return {
          set,
          get: await t.call(E_GET, { ...ref, version: '0', at: '0' }),
          del: await t.call(E_DEL, { ...ref, key: 'nobody', version: '0' }),
          search: keys(
            await t.call(E_SEARCH, {
              domain: ns,
              type: 'user',
              query_string: '',
              limit: 10,
              offset: 0,
              sort: { field: '', reverse: false },
            }),
          ),
          searchEvents: keys(
            await t.call(EV_SEARCH, {
              domain: ns,
              type: 'user',
              query_string: '',
              min: '0',
              max: '0',
              after: '0',
              limit: 10,
              offset: 0,
              sort: { field: '' },
            }),
          ),
          lock: lease(lock),
          unlock: await t.call(M_UNLOCK, { domain: ns, key: 'm', token: '' }),
          relock: lease(await t.call(M_LOCK, { domain: ns, key: 'm' })),
          stream: await stream.take(1),
        };
      } finally {
        stream.close();
      }
    },
    expected: {
      set: ok({}),
      get: ok(entity('k', { n: 1 }, '1')),
      del: err('NOT_FOUND'),
      search: ['k'],
      searchEvents: ['k'],
      lock: ok({ domain: '$NS', key: 'm', exp: '<in the future>', token: '<token#0>', fencing: '<fencing#0>' }),
      unlock: ok({}),
      relock: ok({ domain: '$NS', key: 'm', exp: '<in the future>', token: '<token#1>', fencing: '<fencing#1>' }),
      stream: { items: [event(0, entity('k', { n: 1 }, '1'), 'Set', 0)] },
    },
  },

  // -------------------------------------------------------------------------------- EventService
  {
    name: 'EventService.Search: each mutation recorded with its gRPC method, the full entity, claims {}, a uuid, its time and position',
    async run(t, { ns }) {
      const ref = { domain: ns, type: 'user', key: 'k' };
      const writes = [
        await t.call(E_SET, { ...ref, values: { n: 1 } }),
        await t.call(E_EDIT, { ...ref, values: { m: 2 } }),
      ];
      const first = get(await eventsOf(t, ns, 'k'), 'events', 0, 'id') as string;
      writes.push(await t.call(E_REVERT, { ...ref, id: first }), await t.call(E_DEL, ref));
      return { writes, events: await eventsOf(t, ns, 'k') };
    },
    expected: {
      writes: [ok({}), ok(entity('k', { n: 1, m: 2 }, '2')), ok(entity('k', { n: 1 }, '3')), ok({})],
      events: ok({
        events: [
          event(0, entity('k', { n: 1 }, '1'), 'Set', 0),
          event(1, entity('k', { n: 1, m: 2 }, '2'), 'Edit', 1),
          event(2, entity('k', { n: 1 }, '3'), 'Revert', 2),
          event(3, entity('k', { n: 1 }, '4'), 'Del', 3),
        ],
      }),
    },
  },
  {
    name: 'EventService.Search: after pages by position; offset, reverse, min/max times, filters on values and method',
    async run(t, { ns }) {
      for (let i = 0; i < 5; i++) await t.call(E_SET, { domain: ns, type: 'page', key: `k${i}`, values: { i } });
      await t.call(E_EDIT, { domain: ns, type: 'page', key: 'k0', values: { edited: true } });
      const search = (opts: JsonObject) =>
        t.call(EV_SEARCH, { domain: ns, type: 'page', limit: 10, sort: { field: 'position' }, ...opts });
      const all = await search({});
      const position = (i: number) => get(all, 'events', i, 'position') as string;
      const time = (i: number) => get(all, 'events', i, 'time') as string;
      return {
        all: keys(all),
        after: keys(await search({ after: position(1), limit: 2 })),
        afterLast: keys(await search({ after: position(5) })),
        offset: keys(await search({ offset: 4 })),
        reverse: keys(await search({ limit: 2, sort: { field: 'position', reverse: true } })),
        minMax: keys(await search({ min: time(1), max: time(3) })),
        values: keys(await search({ query_string: JSON.stringify({ 'entity.values.i': { $gte: 3 } }) })),
        method: keys(await search({ query_string: JSON.stringify({ method: '/stategate.EntityService/Edit' }) })),
        byKey: keys(await search({ query_string: JSON.stringify({ 'entity.key': { $in: ['k1', 'k2'] } }) })),
        otherDomain: await search({ domain: `${ns}-nothing` }),
      };
    },
    expected: {
      all: ['k0', 'k1', 'k2', 'k3', 'k4', 'k0'],
      after: ['k2', 'k3'],
      afterLast: [],
      offset: ['k4', 'k0'],
      reverse: ['k0', 'k4'],
      minMax: ['k1', 'k2', 'k3'],
      values: ['k3', 'k4'],
      method: ['k0'],
      byKey: ['k1', 'k2'],
      otherDomain: ok({ events: [] }),
    },
  },
  {
    name: 'EventService.Search: bad filters and options are INVALID_ARGUMENT',
    async run(t, { ns }) {
      const search = (opts: JsonObject) => t.call(EV_SEARCH, { domain: ns, type: 'user', limit: 10, ...opts });
      return {
        forbiddenOperator: await search({ query_string: JSON.stringify({ $where: 'x' }) }),
        malformedJson: await search({ query_string: 'nope' }),
        unknownRoot: await search({ query_string: JSON.stringify({ 'nothing.here': 1 }) }),
        badSort: await search({ sort: { field: 'entity..key' } }),
        noLimit: await search({ limit: 0 }),
        negativeOffset: await search({ offset: -3 }),
        minAfterMax: await search({ min: '2000', max: '1000' }),
        negativeAfter: await search({ after: '-1' }),
        whitespaceDomain: await search({ domain: ' ' }),
        emptyType: await search({ type: '' }),
      };
    },
    expected: {
      forbiddenOperator: err('INVALID_ARGUMENT'),
      malformedJson: err('INVALID_ARGUMENT'),
      unknownRoot: err('INVALID_ARGUMENT'),
      badSort: err('INVALID_ARGUMENT'),
      noLimit: err('INVALID_ARGUMENT'),
      negativeOffset: err('INVALID_ARGUMENT'),
      minAfterMax: err('INVALID_ARGUMENT'),
      negativeAfter: err('INVALID_ARGUMENT'),
      whitespaceDomain: err('INVALID_ARGUMENT'),
      emptyType: err('INVALID_ARGUMENT'),
    },
  },
  {
    name: "EventService.Get: the event as searched; NOT_FOUND for another entity's or an unknown id; INVALID_ARGUMENT for a bad id",
    async run(t, { ns }) {
      const ref = { domain: ns, type: 'user', key: 'alice' };
      await t.call(E_SET, { ...ref, values: { n: 1 } });
      await t.call(E_SET, { ...ref, key: 'bob', values: { n: 2 } });
      const searched = await eventsOf(t, ns, 'alice');
      const id = get(searched, 'events', 0, 'id') as string;
      return {
        searched,
        get: await t.call(EV_GET, { ...ref, id }),
        upperCaseId: await t.call(EV_GET, { ...ref, id: id.toUpperCase() }),
        otherEntity: await t.call(EV_GET, { ...ref, key: 'bob', id }),
        otherDomain: await t.call(EV_GET, { ...ref, domain: `${ns}-x`, id }),
        unknown: await t.call(EV_GET, { ...ref, id: UNKNOWN_EVENT }),
        notAUuid: await t.call(EV_GET, { ...ref, id: 'not-a-uuid' }),
        uuidV1: await t.call(EV_GET, { ...ref, id: 'c232ab00-9414-11ec-b3c8-9f6bdeced846' }),
        spaceKey: await t.call(EV_GET, { ...ref, key: 'a b', id }),
      };
    },
    expected: {
      searched: ok({ events: [event(0, entity('alice', { n: 1 }, '1'), 'Set', 0)] }),
      get: ok(event(0, entity('alice', { n: 1 }, '1'), 'Set', 0)),
      upperCaseId: ok(event(0, entity('alice', { n: 1 }, '1'), 'Set', 0)),
      otherEntity: err('NOT_FOUND'),
      otherDomain: err('NOT_FOUND'),
      unknown: err('NOT_FOUND'),
      notAUuid: err('INVALID_ARGUMENT'),
      uuidV1: err('INVALID_ARGUMENT'),
      spaceKey: err('INVALID_ARGUMENT'),
    },
  },
  {
    name: 'EventService.Stream: live events in commit order, filtered by type, each recorded with its gRPC method',
    async run(t, { ns, subscribers }) {
      const stream = open(t, EV_STREAM, { domain: ns, type: 'live' });
      try {
        await subscribers('event', 1);
        const ref = { domain: ns, type: 'live', key: 'a' };
        const writes = [
          await t.call(E_SET, { ...ref, type: 'user', values: { filtered: 'out' } }),
          await t.call(E_SET, { ...ref, values: { i: 1 } }),
          await t.call(E_EDIT, { ...ref, values: { j: 2 } }),
          await t.call(E_DEL, ref),
        ];
        return { writes, items: await stream.take(3) };
      } finally {
        stream.close();
      }
    },
    expected: {
      writes: [ok({}), ok({}), ok(entity('a', { i: 1, j: 2 }, '2', 'live')), ok({})],
      items: {
        items: [
          event(0, entity('a', { i: 1 }, '1', 'live'), 'Set', 0),
          event(1, entity('a', { i: 1, j: 2 }, '2', 'live'), 'Edit', 1),
          event(2, entity('a', { i: 1, j: 2 }, '3', 'live'), 'Del', 2),
        ],
      },
    },
  },
  {
    name: 'EventService.Stream: globs on domain, type and key (`*` any run, `?` one character)',
    async run(t, { ns, subscribers }) {
      const stream = open(t, EV_STREAM, { domain: `${ns}-?`, type: 'u*', key: 'user-*' });
      try {
        await subscribers('event', 1);
        const writes: Array<[string, string, string]> = [
          [`${ns}-ab`, 'user', 'user-0'], // domain: two characters after the dash
          [`${ns}-a`, 'admin', 'user-0'], // type
          [`${ns}-a`, 'user', 'admin-1'], // key
          [`${ns}-a`, 'user', 'user-1'],
          [`${ns}-b`, 'ux', 'user-2'],
          [ns, 'user', 'user-3'], // domain: nothing after it
          [`${ns}-c`, 'u', 'user-'],
        ];
        for (const [domain, type, key] of writes) await t.call(E_SET, { domain, type, key, values: {} });
        const taken = await stream.take(3);
        return taken.items.map((e) => (e as { entity: Json }).entity);
      } finally {
        stream.close();
      }
    },
    expected: [
      entity('user-1', {}, '1', 'user', '$NS-a'),
      entity('user-2', {}, '1', 'ux', '$NS-b'),
      entity('user-', {}, '1', 'u', '$NS-c'),
    ],
  },
  {
    name: 'EventService.Stream: `after` replays stored events past that position, then continues live (no gap, no duplicate); after 0 replays all',
    async run(t, { ns }) {
      for (const i of [1, 2, 3]) await t.call(E_SET, { domain: ns, type: 'resume', key: `k${i}`, values: { i } });
      const stored = await t.call(EV_SEARCH, { domain: ns, type: 'resume', limit: 10, sort: { field: 'position' } });
      const first = get(stored, 'events', 0, 'position') as string;
      const resumed = open(t, EV_STREAM, { domain: ns, after: first });
      const whole = open(t, EV_STREAM, { domain: ns, type: 'resume', after: '0' });
      try {
        const replay = await resumed.take(2);
        const write = await t.call(E_SET, { domain: ns, type: 'resume', key: 'k4', values: { i: 4 } });
        const live = await resumed.take(1);
        return { stored: keys(stored), replay, write, live, whole: await whole.take(4) };
      } finally {
        resumed.close();
        whole.close();
      }
    },
    expected: {
      stored: ['k1', 'k2', 'k3'],
      replay: {
        items: [
          event(0, entity('k2', { i: 2 }, '1', 'resume'), 'Set', 1),
          event(1, entity('k3', { i: 3 }, '1', 'resume'), 'Set', 2),
        ],
      },
      write: ok({}),
      live: { items: [event(2, entity('k4', { i: 4 }, '1', 'resume'), 'Set', 3)] },
      whole: {
        items: [
          event(3, entity('k1', { i: 1 }, '1', 'resume'), 'Set', 0),
          event(0, entity('k2', { i: 2 }, '1', 'resume'), 'Set', 1),
          event(1, entity('k3', { i: 3 }, '1', 'resume'), 'Set', 2),
          event(2, entity('k4', { i: 4 }, '1', 'resume'), 'Set', 3),
        ],
      },
    },
  },
  {
    name: 'EventService.Stream: bad options are INVALID_ARGUMENT before any item',
    async run(t, { ns }) {
      const outcome: Record<string, Json> = {};
      const cases: Record<string, JsonObject> = {
        overlongGlob: { domain: ns, key: 'x'.repeat(10_000) },
        negativeAfter: { domain: ns, after: '-1' },
        spaceGroup: { domain: ns, consumer_group: 'a b' },
      };
      for (const [name, request] of Object.entries(cases)) {
        const stream = open(t, EV_STREAM, request);
        try {
          outcome[name] = await stream.take(1);
        } finally {
          stream.close();
        }
      }
      return outcome;
    },
    expected: {
      overlongGlob: { items: [], end: 'INVALID_ARGUMENT' },
      negativeAfter: { items: [], end: 'INVALID_ARGUMENT' },
      spaceGroup: { items: [], end: 'INVALID_ARGUMENT' },
    },
  },

  // --------------------------------------------------------------------------------- PeerService
  {
    name: 'PeerService.Broadcast reaches a live Stream subscriber whose globs match: id, body, claims {}, time',
    async run(t, { ns, subscribers }) {
      const stream = open(t, P_STREAM, { domain: ns, channel: 'ch-*', type: 'greet?' });
      try {
        await subscribers('message', 1);
        const send = (domain: string, channel: string, type: string, body: JsonObject) =>
          t.call(P_BROADCAST, { domain, channel, type, body });
        const sent = [
          await send(ns, 'other', 'greets', { n: 0 }),
          await send(ns, 'ch-1', 'greeting', { n: 1 }),
          await send(ns, 'ch-1', 'greets', { hello: 'peers', n: [1, 2], nested: { ok: true, none: null } }),
          await send(`${ns}x`, 'ch-1', 'greets', { n: 3 }),
          await send(ns, 'ch-', 'greetz', {}),
        ];
        return { sent, items: await stream.take(2) };
      } finally {
        stream.close();
      }
    },
    expected: {
      sent: [ok({}), ok({}), ok({}), ok({}), ok({})],
      items: {
        items: [
          {
            id: '<uuid#0>',
            domain: '$NS',
            channel: 'ch-1',
            type: 'greets',
            body: { hello: 'peers', n: [1, 2], nested: { ok: true, none: null } },
            claims: {},
            time: '<time>',
          },
          { id: '<uuid#1>', domain: '$NS', channel: 'ch-', type: 'greetz', body: {}, claims: {}, time: '<time>' },
        ],
      },
    },
  },
  {
    name: 'PeerService: bad messages and stream options are INVALID_ARGUMENT; a broadcast nobody hears succeeds',
    async run(t, { ns }) {
      const send = (message: JsonObject) =>
        t.call(P_BROADCAST, { domain: ns, channel: 'c', type: 't', body: { a: 1 }, ...message });
      const streams: Record<string, Json> = {};
      const cases: Record<string, JsonObject> = {
        overlongGlob: { domain: ns, channel: 'c'.repeat(10_000) },
        spaceGroup: { domain: ns, consumer_group: ' ' },
      };
      for (const [name, request] of Object.entries(cases)) {
        const stream = open(t, P_STREAM, request);
        try {
          streams[name] = await stream.take(1);
        } finally {
          stream.close();
        }
      }
      return {
        unheard: await send({}),
        emptyChannel: await send({ channel: '' }),
        spaceType: await send({ type: 'a b' }),
        emptyDomain: await send({ domain: '' }),
        ...streams,
      };
    },
    expected: {
      unheard: ok({}),
      emptyChannel: err('INVALID_ARGUMENT'),
      spaceType: err('INVALID_ARGUMENT'),
      emptyDomain: err('INVALID_ARGUMENT'),
      overlongGlob: { items: [], end: 'INVALID_ARGUMENT' },
      spaceGroup: { items: [], end: 'INVALID_ARGUMENT' },
    },
  },

  // -------------------------------------------------------------------------------- CacheService
  {
    name: 'CacheService: Set any JSON value with or without exp, Get it, Del it (then NOT_FOUND); Del of a missing key succeeds',
    async run(t, { ns }) {
      const value = { hello: ['world', 1, true, null], n: -2.5 };
      return {
        set: await t.call(C_SET, { domain: ns, key: 'greeting', value, exp: FAR_FUTURE }),
        get: await t.call(C_GET, { domain: ns, key: 'greeting' }),
        setNumber: await t.call(C_SET, { domain: ns, key: 'n', value: 42 }),
        getNumber: await t.call(C_GET, { domain: ns, key: 'n' }),
        replace: await t.call(C_SET, { domain: ns, key: 'n', value: 'forty-two' }),
        getReplaced: await t.call(C_GET, { domain: ns, key: 'n' }),
        setNull: await t.call(C_SET, { domain: ns, key: 'z', value: null }),
        getNull: await t.call(C_GET, { domain: ns, key: 'z' }),
        del: await t.call(C_DEL, { domain: ns, key: 'greeting' }),
        getDeleted: await t.call(C_GET, { domain: ns, key: 'greeting' }),
        delMissing: await t.call(C_DEL, { domain: ns, key: 'greeting' }),
        otherDomain: await t.call(C_GET, { domain: `${ns}-x`, key: 'n' }),
      };
    },
    expected: {
      set: ok({}),
      get: ok({
        domain: '$NS',
        key: 'greeting',
        value: { hello: ['world', 1, true, null], n: -2.5 },
        exp: '2999-01-01T00:00:00.250000000Z',
      }),
      setNumber: ok({}),
      getNumber: ok({ domain: '$NS', key: 'n', value: 42, exp: null }),
      replace: ok({}),
      getReplaced: ok({ domain: '$NS', key: 'n', value: 'forty-two', exp: null }),
      setNull: ok({}),
      getNull: ok({ domain: '$NS', key: 'z', value: null, exp: null }),
      del: ok({}),
      getDeleted: err('NOT_FOUND'),
      delMissing: ok({}),
      otherDomain: err('NOT_FOUND'),
    },
  },
  {
    name: 'CacheService: an exp in the past, a missing value, bad names are INVALID_ARGUMENT and store nothing',
    async run(t, { ns }) {
      return {
        pastExp: await t.call(C_SET, { domain: ns, key: 'k', value: 1, exp: '2001-01-01T00:00:00Z' }),
        noValue: await t.call(C_SET, { domain: ns, key: 'k' }),
        spaceDomain: await t.call(C_SET, { domain: `${ns} x`, key: 'k', value: 1 }),
        getSpaceKey: await t.call(C_GET, { domain: ns, key: 'k k' }),
        delSpaceKey: await t.call(C_DEL, { domain: ns, key: 'k\tk' }),
        nothingStored: await t.call(C_GET, { domain: ns, key: 'k' }),
      };
    },
    expected: {
      pastExp: err('INVALID_ARGUMENT'),
      noValue: err('INVALID_ARGUMENT'),
      spaceDomain: err('INVALID_ARGUMENT'),
      getSpaceKey: err('INVALID_ARGUMENT'),
      delSpaceKey: err('INVALID_ARGUMENT'),
      nothingStored: err('NOT_FOUND'),
    },
  },

  // -------------------------------------------------------------------------------- MutexService
  {
    name: 'MutexService: Lock answers the lease; ALREADY_EXISTS while held; FAILED_PRECONDITION for a wrong token; fencing rises',
    async run(t, { ns }) {
      const exp = fromNow(60_000);
      const first = await t.call(M_LOCK, { domain: ns, key: 'door', exp });
      const token = first.ok ? ((first.response as JsonObject).token as string) : '';
      return {
        lock: lease(first, exp),
        held: await t.call(M_LOCK, { domain: ns, key: 'door' }),
        otherKey: lease(await t.call(M_LOCK, { domain: ns, key: 'window' })),
        wrongToken: await t.call(M_UNLOCK, { domain: ns, key: 'door', token: 'not-the-token' }),
        unlock: await t.call(M_UNLOCK, { domain: ns, key: 'door', token }),
        unlockAgain: await t.call(M_UNLOCK, { domain: ns, key: 'door', token }),
        relock: lease(await t.call(M_LOCK, { domain: ns, key: 'door' })),
        unlockWithoutToken: await t.call(M_UNLOCK, { domain: ns, key: 'door' }),
        unlockUnheld: await t.call(M_UNLOCK, { domain: ns, key: 'door' }),
      };
    },
    expected: {
      lock: ok({ domain: '$NS', key: 'door', exp: '<as asked>', token: '<token#0>', fencing: '<fencing#0>' }),
      held: err('ALREADY_EXISTS'),
      otherKey: ok({
        domain: '$NS',
        key: 'window',
        exp: '<in the future>',
        token: '<token#1>',
        fencing: '<fencing#1>',
      }),
      wrongToken: err('FAILED_PRECONDITION'),
      unlock: ok({}),
      unlockAgain: err('FAILED_PRECONDITION'),
      // Fencing numbers rise with every grant.
      relock: ok({ domain: '$NS', key: 'door', exp: '<in the future>', token: '<token#2>', fencing: '<fencing#2>' }),
      unlockWithoutToken: ok({}),
      unlockUnheld: ok({}),
    },
  },
  {
    name: 'MutexService: an exp in the past or beyond the maximum lease, bad names are INVALID_ARGUMENT and lock nothing',
    async run(t, { ns }) {
      return {
        pastExp: await t.call(M_LOCK, { domain: ns, key: 'k', exp: '2001-01-01T00:00:00Z' }),
        tooFar: await t.call(M_LOCK, { domain: ns, key: 'k', exp: FAR_FUTURE }),
        spaceKey: await t.call(M_LOCK, { domain: ns, key: 'k k' }),
        overlongDomain: await t.call(M_LOCK, { domain: 'd'.repeat(257), key: 'k' }),
        unlockSpaceKey: await t.call(M_UNLOCK, { domain: ns, key: ' k' }),
        nothingLocked: lease(await t.call(M_LOCK, { domain: ns, key: 'k' })),
      };
    },
    expected: {
      pastExp: err('INVALID_ARGUMENT'),
      tooFar: err('INVALID_ARGUMENT'),
      spaceKey: err('INVALID_ARGUMENT'),
      overlongDomain: err('INVALID_ARGUMENT'),
      unlockSpaceKey: err('INVALID_ARGUMENT'),
      nothingLocked: ok({
        domain: '$NS',
        key: 'k',
        exp: '<in the future>',
        token: '<token#0>',
        fencing: '<fencing#0>',
      }),
    },
  },
];
