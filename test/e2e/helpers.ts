import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { type GraphqlResponse, gql } from '../support/graphql.js';
import type { TestServer } from '../support/server.js';

/** Shared helpers of the operation-level end-to-end tests (test/e2e/*.e2e.test.ts). */

/** A name unique to this run, so tests sharing one server never see each other's data. */
export function uid(prefix = 'k'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Now in nanoseconds since the epoch, as the server's clocks count. */
export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Waits until the server has exactly `count` live stream subscribers of a kind. graphql-ws and SSE do not
 * acknowledge a subscription, and peer messages reach live subscribers only, so a test that publishes
 * right after subscribing must first see the subscription registered in core.
 */
export function subscribers(server: TestServer, kind: 'event' | 'message', count: number): Promise<void> {
  const current = () => {
    const stats = server.app.stategate.stats();
    return kind === 'event' ? stats.eventSubscribers : stats.messageSubscribers;
  };
  return until(() => current() === count, `${count} ${kind} subscribers (have ${current()})`);
}

export interface StoreState {
  events: number;
  position: number;
  entities: string;
}

/**
 * What the server's store holds, read straight from its SQLite file (read-only, beside the server's own
 * connection): the number of events, the last position, and a digest of every entity row. Equal before
 * and after a request = the request changed no state at all. (The hub's `stats().logPosition` would not
 * do: it advances asynchronously after a commit.)
 */
export function openStore(server: Pick<TestServer, 'dbPath'>): { state(): StoreState; close(): void } {
  const db = new Database(server.dbPath, { readonly: true, fileMustExist: true });
  const events = db.prepare('SELECT count(*) AS n, IFNULL(max(position), 0) AS p FROM events');
  const entities = db.prepare(
    `SELECT count(*) AS n, IFNULL(group_concat(row, '|'), '') AS d FROM (
       SELECT domain || '/' || type || '/' || key || '@' || version || ':' || IFNULL("values", '-') AS row
       FROM entities ORDER BY domain, type, key)`,
  );
  return {
    state() {
      const e = events.get() as { n: number; p: number };
      const x = entities.get() as { n: number; d: string };
      return { events: e.n, position: e.p, entities: `${x.n}#${x.d}` };
    },
    close: () => db.close(),
  };
}

export function messageSubscribers(server: TestServer): number {
  return server.app.stategate.stats().messageSubscribers;
}

export function eventSubscribers(server: TestServer): number {
  return server.app.stategate.stats().eventSubscribers;
}

/**
 * Asserts that a response is the error `code`: a GraphQL error with that `extensions.code`, no data for
 * the field, and never an HTTP 5xx (bad input is the client's fault, not a server fault).
 */
export function expectError(res: GraphqlResponse<unknown>, code: string): void {
  expect(res.status).toBeLessThan(500);
  expect(res.errors?.map((e) => e.extensions?.code)).toEqual([code]);
  const data = res.data as Record<string, unknown> | null | undefined;
  if (data) for (const value of Object.values(data)) expect(value).toBeNull();
}

/** Asserts a successful response and returns its data. */
export function ok<T>(res: GraphqlResponse<T>): T {
  if (res.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(res.errors)}`);
  expect(res.status).toBe(200);
  return res.data as T;
}

export interface EntityOut {
  domain: string;
  type: string;
  key: string;
  values: Record<string, unknown>;
  version: string;
}

export interface EventOut {
  id: string;
  entity: EntityOut;
  claims: Record<string, unknown>;
  time: string;
  method: string;
  position: string;
  current?: EntityOut | null;
}

export const ENTITY_FIELDS = 'domain type key values version';
export const EVENT_FIELDS = `id entity { ${ENTITY_FIELDS} } claims time method position`;

export const Q = {
  set: 'mutation ($input: EntityInput!) { setEntity(input: $input) }',
  edit: `mutation ($input: EntityInput!) { editEntity(input: $input) { ${ENTITY_FIELDS} } }`,
  revert: `mutation ($input: EventRefInput!) { revertEntity(input: $input) { ${ENTITY_FIELDS} } }`,
  del: 'mutation ($input: EntityRefInput!) { delEntity(input: $input) }',
  get: `query ($input: EntityRefInput!) { getEntity(input: $input) { ${ENTITY_FIELDS} } }`,
  getEvent: `query ($input: EventRefInput!) { getEvent(input: $input) { ${EVENT_FIELDS} current { ${ENTITY_FIELDS} } } }`,
  searchEntities: `query ($input: SearchEntityOpts!) { searchEntities(input: $input) { entities { ${ENTITY_FIELDS} } } }`,
  searchEvents: `query ($input: SearchEventOpts!) { searchEvents(input: $input) { events { ${EVENT_FIELDS} } } }`,
  setCache: 'mutation ($input: CacheInput!) { setCache(input: $input) }',
  getCache: 'query ($input: CacheRefInput!) { getCache(input: $input) { domain key value exp } }',
  delCache: 'mutation ($input: CacheRefInput!) { delCache(input: $input) }',
  lock: 'mutation ($input: MutexInput!) { lockMutex(input: $input) { domain key exp token fencing } }',
  unlock: 'mutation ($input: MutexRefInput!) { unlockMutex(input: $input) }',
  broadcast: 'mutation ($input: MessageInput!) { broadcastMessage(input: $input) }',
  streamEvents: `subscription ($input: StreamEventOpts!) { streamEvents(input: $input) { ${EVENT_FIELDS} } }`,
  streamMessages:
    'subscription ($input: StreamMessageOpts!) { streamMessages(input: $input) { id domain channel type body claims time } }',
} as const;

/** Operations over one server's HTTP endpoint, answering the raw response (errors included). */
export function api(url: string) {
  const call = <T>(query: string, input: Record<string, unknown>) => gql<T>(url, query, { input });
  return {
    set: (input: Record<string, unknown>) => call<{ setEntity: boolean }>(Q.set, input),
    edit: (input: Record<string, unknown>) => call<{ editEntity: EntityOut }>(Q.edit, input),
    revert: (input: Record<string, unknown>) => call<{ revertEntity: EntityOut }>(Q.revert, input),
    del: (input: Record<string, unknown>) => call<{ delEntity: boolean }>(Q.del, input),
    get: (input: Record<string, unknown>) => call<{ getEntity: EntityOut }>(Q.get, input),
    getEvent: (input: Record<string, unknown>) => call<{ getEvent: EventOut }>(Q.getEvent, input),
    searchEntities: (input: Record<string, unknown>) =>
      call<{ searchEntities: { entities: EntityOut[] } }>(Q.searchEntities, input),
    searchEvents: (input: Record<string, unknown>) =>
      call<{ searchEvents: { events: EventOut[] } }>(Q.searchEvents, input),
    setCache: (input: Record<string, unknown>) => call<{ setCache: boolean }>(Q.setCache, input),
    getCache: (input: Record<string, unknown>) =>
      call<{ getCache: { domain: string; key: string; value: unknown; exp: string | null } }>(Q.getCache, input),
    delCache: (input: Record<string, unknown>) => call<{ delCache: boolean }>(Q.delCache, input),
    lock: (input: Record<string, unknown>) =>
      call<{ lockMutex: { domain: string; key: string; exp: string; token: string; fencing: string } }>(Q.lock, input),
    unlock: (input: Record<string, unknown>) => call<{ unlockMutex: boolean }>(Q.unlock, input),
    broadcast: (input: Record<string, unknown>) => call<{ broadcastMessage: boolean }>(Q.broadcast, input),
  };
}

export type Api = ReturnType<typeof api>;

/** All events of one entity, in log order. */
export async function eventsOf(a: Api, domain: string, type: string, key: string): Promise<EventOut[]> {
  const res = await a.searchEvents({ domain, type, limit: 1000, query_string: JSON.stringify({ 'entity.key': key }) });
  return ok(res).searchEvents.events;
}
