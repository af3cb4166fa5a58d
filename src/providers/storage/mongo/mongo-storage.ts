import { randomUUID } from 'node:crypto';
import type { Collection, Db, MongoClient, ReadConcernLevel } from 'mongodb';
import { alreadyExists, StategateError, unavailable } from '../../../core/errors.js';
import type { Entity, EntityKey, Event, EventRef, TypeCount } from '../../../core/model.js';
import { type Logger, silentLogger } from '../../../core/ports/logger.js';
import type {
  EntityHead,
  EntityQuery,
  EventQuery,
  StorageProvider,
  TypeQuery,
  WriteIntent,
} from '../../../core/ports/storage.js';
import type { TriggerStore } from '../../../core/ports/trigger-store.js';
import { planWrite } from '../../../core/write-plan.js';
import { guardedRead } from '../failures.js';
import { connect } from './connection.js';
import {
  type EventDoc,
  entityKey,
  entityOfEvent,
  eventKey,
  headOfEvent,
  type StateDoc,
  toBigInt,
  toEvent,
  toLong,
} from './documents.js';
import { EntityStates } from './entity-states.js';
import { HEAD_DEADLINE_MS, HeadStore, headOf, LOCK_LEASE_MS } from './heads.js';
import { ensureIndexes } from './indexes.js';
import { LatestVersions } from './latest-version.js';
import { listTypes } from './list-types.js';
import { searchEntities, searchEvents } from './search.js';
import { createMongoTriggerStore } from './trigger-store.js';

export interface MongoStorageOptions {
  /** `mongodb://host:port/database?options`; FerretDB 1.x and MongoDB (standalone or replica set). */
  url: string;
  /** Overrides the URL's database; default: the URL's (`mongodb://host/db`), else `stategate`. */
  database?: string;
  user?: string;
  password?: string;
  /** Connections in the driver's pool. Default 10. */
  poolSize?: number;
  /**
   * Accept a standalone MongoDB server (FerretDB is always accepted). Default false: on a standalone
   * server a reader can see an insert before it is journaled, so a server crash can erase an event a
   * stream already delivered and a later event can take its position (G4/G6 across server crashes).
   */
  allowStandalone?: boolean;
  /** How long finding the server may take before start (or an operation) fails with UNAVAILABLE. Default 5000 ms. */
  connectTimeoutMs?: number;
  logger?: Logger;
}

/** Every write: acknowledged only once journaled on a majority of the replica set (G1). */
const DURABLE = { writeConcern: { w: 'majority' as const, journal: true } };
/** A write that lost a race retries with a fresh plan or position; this many times before it gives up. */
const MAX_ATTEMPTS = 200;
/** The longest pause between two attempts at a contested position. */
const MAX_PAUSE_MS = 100;
/** Most appends committed by one insertMany. */
const MAX_BATCH = 256;
/**
 * How long a batch waits for other writers' locks on its entities: a lock expires LOCK_LEASE_MS after it
 * was taken and is then taken over, so this covers one that was taken just before the wait began.
 */
const LOCK_WAIT_MS = 2 * LOCK_LEASE_MS;

/**
 * MongoDB storage that needs nothing but single-document inserts and unique indexes: no multi-document
 * transactions, no atomic read-modify-write (FerretDB 1.x has neither: its `$inc` and conditional updates
 * are not atomic under concurrency). So it is correct on FerretDB and on MongoDB alike. Documents are
 * never updated or deleted; an append is one insert, which is the commit point (G1).
 *
 * - The event carries the entity's full state after the change (a deletion: a `deleted` mark and the state
 *   before), so state and event are one document and can never disagree. Get, the version check and
 *   search read a copy of it, the entity's head, kept exact by a per-entity lock (heads.ts): FerretDB
 *   scans a collection for every query, so they read the small heads instead of the events.
 * - G3: the event's `_id` is (entity, version). Two writers planning the same version insert the same
 *   `_id`; one fails, re-plans on top of the winner, and its precondition may now refuse it.
 * - G4: `position` has a unique index and a writer inserts at exactly (the highest position it has seen)
 *   + 1. It has seen that position occupied, so every position is inserted after its predecessor was
 *   committed: the log has no holes and fills in position order. A writer whose position was taken
 *   meanwhile learns the new highest position and tries again; nothing was acknowledged. So a reader that
 *   has seen P can never later find a new event below P, with any number of writers and instances.
 *
 * Appends of one instance are group-committed in submission order (as on postgres): an intent sees the
 * intents submitted before it, and positions follow submission order within the instance. Writers of
 * several instances race only on the insert, and the loser retries.
 */
export async function createMongoStorage(options: MongoStorageOptions): Promise<StorageProvider> {
  const logger = options.logger ?? silentLogger;
  const connection = await connect({
    url: options.url,
    database: options.database,
    user: options.user,
    password: options.password,
    poolSize: options.poolSize ?? 10,
    connectTimeoutMs: options.connectTimeoutMs ?? 5000,
    allowStandalone: options.allowStandalone ?? false,
  });
  try {
    const storage = new MongoStorage(connection.client, connection.db, connection.readConcern, logger);
    await storage.open();
    logger.info(
      { database: connection.db.databaseName, topology: connection.topology, readConcern: connection.readConcern },
      'mongo storage open',
    );
    return storage;
  } catch (err) {
    await connection.client.close().catch(() => undefined);
    if (err instanceof StategateError) throw err;
    throw unavailable(`mongo storage could not prepare its collection: ${(err as Error).message}`, err);
  }
}

interface Pending {
  intent: WriteIntent;
  resolve: (event: Event) => void;
  reject: (error: StategateError) => void;
}

/** How one append of a batch ended; settled only once the batch's heads are written and locks released. */
type Outcome = { pending: Pending; event: Event; doc: EventDoc } | { pending: Pending; error: StategateError };

class MongoStorage implements StorageProvider {
  readonly name = 'mongo';
  /** For writers: the primary's latest state (a stale read would only cost a retry). */
  private readonly events: Collection<EventDoc>;
  /** For clients: only what a failover cannot roll back (majority on a replica set). */
  private readonly committed: Collection<EventDoc>;
  private readonly versions = new LatestVersions();
  private readonly heads: HeadStore;
  private readonly states: EntityStates;
  /** The highest position this instance has seen occupied; the next append tries the one after it. */
  private position = 0;
  /** The longest pause before retrying a lost position race, ms; adapts to the contention (appendNow). */
  private pressure = 0;
  /** Appends waiting for the current batch to commit (group commit, `drain`). */
  private readonly queue: Pending[] = [];
  private draining = false;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly client: MongoClient,
    db: Db,
    readConcern: ReadConcernLevel,
    private readonly logger: Logger,
  ) {
    this.events = db.collection<EventDoc>('events', { readConcern: { level: 'local' } });
    this.committed = db.collection<EventDoc>('events', { readConcern: { level: readConcern } });
    this.heads = new HeadStore(db, readConcern);
    this.states = new EntityStates(this.heads, this.committed, this.versions);
  }

  /** Creates the indexes that are missing, builds heads for a database older than them, learns the log's head. */
  async open(): Promise<void> {
    await ensureIndexes(this.events);
    await this.heads.backfill(this.events);
    this.position = await this.highestPosition(this.events);
  }

  append(intent: WriteIntent): Promise<Event> {
    if (this.closed) return Promise.reject(unavailable('storage is closed'));
    return new Promise<Event>((resolve, reject) => {
      this.queue.push({ intent, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        this.tail = this.drain();
      }
    });
  }

  /** Commits the queue batch by batch, in submission order, until it is empty. */
  private async drain(): Promise<void> {
    try {
      // Let the appends submitted in this same turn join the first batch.
      await Promise.resolve();
      while (this.queue.length > 0) await this.commitBatch(this.queue.splice(0, MAX_BATCH));
    } finally {
      this.draining = false;
    }
  }

  /**
   * Group commit under the entities' locks (heads.ts): takes the locks of every entity of the batch, plans
   * the batch in order (an intent sees the ones before it), then inserts all its events at the next
   * positions with one ordered insertMany, which stops at the first refusal. Each inserted event followed
   * its predecessor, so the log stays without holes. The refused one and those after it (whose plans may
   * have counted on it) go through `appendNow` one by one, planned afresh. Then the heads are written and
   * the locks released, and only then are the appends answered, so a Get after an answer reads the head.
   */
  private async commitBatch(batch: Pending[]): Promise<void> {
    const token = randomUUID();
    const targets = batch.map((p) => p.intent.target);
    let stolen: Set<string>;
    let since: number;
    try {
      ({ stolen, since } = await this.heads.acquire(targets, token, Date.now() + LOCK_WAIT_MS));
    } catch (err) {
      const error = unavailable(`mongo write failed: ${(err as Error).message}`, err);
      for (const p of batch) p.reject(error);
      return;
    }
    // Entities that may have events whose head is not written: their locks stay, so readers ask the events.
    const uncertain = new Set<string>();
    const outcomes = await this.commitLocked(batch, stolen, uncertain);
    // The latest committed event of each entity becomes its head. Past the deadline the lease may be
    // someone else's soon, so heads are left alone and their locks expire instead (readers ask the events).
    const latest = new Map<string, EventDoc>();
    for (const o of outcomes) if ('doc' in o) latest.set(entityKey(o.doc), o.doc);
    let written = latest.size === 0;
    if (!written && Date.now() - since < HEAD_DEADLINE_MS) {
      written = await this.heads.write([...latest.values()].map(headOf)).then(
        () => true,
        () => false,
      );
    }
    if (!written) {
      this.logger.warn(
        { entities: latest.size, heldMs: Date.now() - since },
        'mongo heads not written: their locks are left to expire, readers ask the events meanwhile',
      );
    }
    const ids = [...new Set(targets.map(entityKey))];
    const releasable = ids.filter((id) => !uncertain.has(id) && (written || !latest.has(id)));
    await this.heads.release(releasable, token).catch(() => undefined);
    for (const o of outcomes) {
      if ('event' in o) o.pending.resolve(o.event);
      else o.pending.reject(o.error);
    }
  }

  private async commitLocked(batch: Pending[], stolen: Set<string>, uncertain: Set<string>): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    const planned: { pending: Pending; doc: EventDoc }[] = [];
    const inBatch = new Map<string, StateDoc>();
    // Entities this instance wrote lately are planned from memory, the others from their heads (exact
    // while the lock is held, unless it was taken over from a writer that died). A stale plan only costs
    // a retry: its event's `_id` is taken.
    const stored = new Map<string, StateDoc | null>();
    const unknown = new Map<string, EntityKey>();
    for (const { intent } of batch) {
      const id = entityKey(intent.target);
      const remembered = stolen.has(id) ? undefined : this.versions.remembered(intent.target);
      if (remembered) stored.set(id, remembered);
      else unknown.set(id, intent.target);
    }
    try {
      const keys = [...unknown.entries()];
      const found = await Promise.all(keys.map(([id, key]) => this.plannedState(key, stolen.has(id))));
      for (const [i, [id]] of keys.entries()) stored.set(id, found[i]!);
    } catch (err) {
      const error = unavailable(`mongo write failed: ${(err as Error).message}`, err);
      return batch.map((pending) => ({ pending, error }));
    }
    for (const pending of batch) {
      const id = entityKey(pending.intent.target);
      try {
        // No head means a new entity, unless its head was removed by hand: before a refusal counts on it
        // (edit or delete of a missing entity), the events are asked.
        if (!inBatch.has(id) && stored.get(id) === null && this.refuses(pending.intent, null)) {
          stored.set(id, await this.versions.latest(this.events, pending.intent.target));
        }
        const latest = inBatch.get(id) ?? stored.get(id) ?? null;
        const doc = this.plan(pending.intent, latest ? headOfEvent(latest) : null);
        doc.position = this.position + 1 + planned.length;
        inBatch.set(id, doc);
        planned.push({ pending, doc });
      } catch (err) {
        const error =
          err instanceof StategateError ? err : unavailable(`mongo write failed: ${(err as Error).message}`, err);
        outcomes.push({ pending, error });
      }
    }
    if (planned.length === 0) return outcomes;
    let inserted = planned.length;
    try {
      await this.events.insertMany(
        planned.map(({ doc }) => ({ ...doc, time: toLong(doc.time as bigint) })),
        { ordered: true, ...DURABLE },
      );
    } catch (err) {
      const refused = (err as { writeErrors?: { index?: number; code?: number }[] }).writeErrors?.[0];
      if (refused?.code !== 11000 || typeof refused.index !== 'number') {
        // Unknown outcome (connection lost…): none of these is acknowledged. Some may be committed, so
        // their locks must not be released with heads unwritten: the heads are rebuilt from the events.
        const error = unavailable(`mongo write failed: ${(err as Error).message}`, err);
        for (const { doc } of planned) uncertain.add(entityKey(doc));
        return [...outcomes, ...planned.map(({ pending }) => ({ pending, error }))];
      }
      inserted = refused.index;
    }
    for (const { pending, doc } of planned.slice(0, inserted)) {
      this.position = doc.position;
      this.versions.remember(entityKey(doc), doc);
      outcomes.push({ pending, event: toEvent(doc), doc });
    }
    for (const { pending } of planned.slice(inserted)) {
      try {
        const doc = await this.appendNow(pending.intent, stolen, uncertain);
        outcomes.push({ pending, event: toEvent(doc), doc });
      } catch (err) {
        outcomes.push({ pending, error: err as StategateError });
      }
    }
    return outcomes;
  }

  /** The state to plan a write on while holding the entity's lock. */
  private async plannedState(key: EntityKey, stolen: boolean): Promise<StateDoc | null> {
    if (stolen) return this.versions.latest(this.events, key);
    // No head: a new entity. (Were its head removed by hand, version 1 is taken and appendNow re-plans.)
    return (await this.heads.head(key)) ?? null;
  }

  /** Appends one intent on its own; the caller holds the entity's lock. Resolves with the committed event. */
  private async appendNow(intent: WriteIntent, stolen: Set<string>, uncertain: Set<string>): Promise<EventDoc> {
    const id = entityKey(intent.target);
    try {
      let latest: StateDoc | null =
        (stolen.has(id) ? undefined : this.versions.remembered(intent.target)) ??
        (await this.plannedState(intent.target, stolen.has(id)));
      if (latest === null && this.refuses(intent, null))
        latest = await this.versions.latest(this.events, intent.target);
      let lost = 0;
      for (let attempt = 1; ; attempt++) {
        const doc = this.plan(intent, latest ? headOfEvent(latest) : null);
        doc.position = this.position + 1;
        const outcome = await this.insert(doc);
        if (outcome === 'committed') {
          this.pressure = Math.floor(this.pressure / 2);
          this.position = doc.position;
          this.versions.remember(entityKey(doc), doc);
          return doc;
        }
        if (attempt >= MAX_ATTEMPTS) {
          throw unavailable(`too many concurrent writers: gave up after ${attempt} attempts; nothing was written`);
        }
        if (outcome === 'version taken') {
          // Planned on a stale state (another instance's write, or a head removed by hand): ask the events.
          latest = await this.versions.latest(this.events, intent.target);
          continue;
        }
        // The position or the event id is taken. The id would refuse every attempt; it is ruled out by
        // reading the log's highest position, which is also where to go on. That read scans the collection
        // on FerretDB, so between two reads the writer just tries the next position: the one it lost is
        // occupied, so the log stays without holes.
        if (lost % 4 === 0) {
          const highest = await this.highestPosition(this.events);
          if (highest < doc.position) throw alreadyExists(`event id ${doc.id} already exists`);
          this.position = highest;
        } else {
          this.position = doc.position;
        }
        lost++;
        // Writers of several instances race for the same next position. A random pause that grows with
        // every lost race (and shrinks with every win) spreads them out, so that each position is contested
        // by about one writer at a time instead of all of them.
        this.pressure = Math.min(MAX_PAUSE_MS, this.pressure * 2 + 1);
        await sleep(Math.random() * this.pressure);
      }
    } catch (err) {
      if (err instanceof StategateError) throw err;
      // A driver error: an insert may have landed without its answer.
      uncertain.add(id);
      throw unavailable(`mongo write failed: ${(err as Error).message}`, err);
    }
  }

  private refuses(intent: WriteIntent, head: EntityHead | null): boolean {
    try {
      this.plan(intent, head);
      return false;
    } catch {
      return true;
    }
  }

  /** The event document this intent produces on top of `head` (position still 0), or the refusal. */
  private plan(intent: WriteIntent, head: EntityHead | null): EventDoc {
    try {
      const { head: next, event } = planWrite(intent, head);
      const { domain, type, key } = intent.target;
      return {
        _id: eventKey(intent.target, next.version),
        id: event.id,
        domain,
        type,
        key,
        version: next.version,
        position: 0,
        method: event.method,
        time: event.time,
        // JSON text, as the caller's objects serialise (see documents.ts).
        claims: JSON.stringify(event.claims),
        values: JSON.stringify(event.entity.values),
        deleted: next.values === null,
      };
    } catch (err) {
      // `next` and the values it returns are the caller's: a non-StategateError is a bug upstream (INTERNAL).
      throw StategateError.from(err);
    }
  }

  /** Inserts the event; on a unique-key refusal, tells whether the version was taken (the server does not say). */
  private async insert(doc: EventDoc): Promise<'committed' | 'version taken' | 'position or id taken'> {
    try {
      await this.events.insertOne({ ...doc, time: toLong(doc.time as bigint) }, DURABLE);
      return 'committed';
    } catch (err) {
      if ((err as { code?: unknown }).code !== 11000) throw err;
    }
    // Events are never updated or deleted, so whatever refused the insert is still there.
    const sameVersion = await this.events.findOne({ _id: doc._id }, { projection: { _id: 1 } });
    return sameVersion ? 'version taken' : 'position or id taken';
  }

  private async highestPosition(events: Collection<EventDoc>): Promise<number> {
    const top = await events.findOne({}, { sort: { position: -1 }, projection: { position: 1 } });
    return top ? Number(top.position) : 0;
  }

  async getEntity(key: EntityKey): Promise<Entity | null> {
    return this.read(async () => {
      const latest = await this.states.latest(key);
      return latest && entityOfEvent(latest);
    });
  }

  async getEntities(keys: readonly EntityKey[]): Promise<(Entity | null)[]> {
    return this.read(async () => (await this.states.many(keys)).map((doc) => doc && entityOfEvent(doc)));
  }

  async getEventByVersion(key: EntityKey, version: number): Promise<Event | null> {
    return this.read(async () => {
      if (!Number.isSafeInteger(version) || version < 1) return null;
      const doc = await this.committed.findOne({ _id: eventKey(key, version) }, { useBigInt64: true });
      return doc && toEvent(doc);
    });
  }

  /**
   * By `_id` point reads, not a search of the entity's events: versions run 1…latest without gaps and an
   * entity's times never go backwards (the plan raises them), so the answer is the last version whose
   * time is <= at, found by bisecting.
   */
  async getEventAt(key: EntityKey, at: bigint): Promise<Event | null> {
    return this.read(async () => {
      const latest = await this.states.latest(key);
      if (!latest) return null;
      const get = (version: number) => this.committed.findOne({ _id: eventKey(key, version) }, { useBigInt64: true });
      if (toBigInt(latest.time) <= at) {
        const doc = await get(latest.version);
        return doc && toEvent(doc);
      }
      // low: a version with time <= at (0: none); high: one with time > at.
      let low = 0;
      let lowDoc: EventDoc | null = null;
      let high = latest.version;
      while (high - low > 1) {
        const middle = Math.floor((low + high) / 2);
        const doc = await get(middle);
        if (!doc) throw new Error(`event ${middle} of an entity at version ${latest.version} is missing`);
        if (toBigInt(doc.time) <= at) {
          low = middle;
          lowDoc = doc;
        } else {
          high = middle;
        }
      }
      return lowDoc && toEvent(lowDoc);
    });
  }

  async getEvent(ref: EventRef): Promise<Event | null> {
    return this.read(async () => {
      const doc = await this.committed.findOne({ id: ref.id }, { useBigInt64: true });
      if (!doc) return null;
      return doc.domain === ref.domain && doc.type === ref.type && doc.key === ref.key ? toEvent(doc) : null;
    });
  }

  async searchEntities(query: EntityQuery): Promise<Entity[]> {
    return this.read(() => searchEntities(this.states, query));
  }

  async searchEvents(query: EventQuery): Promise<Event[]> {
    return this.read(() => searchEvents(this.committed, query));
  }

  async listTypes(query: TypeQuery): Promise<TypeCount[]> {
    return this.read(() => listTypes(this.states, query));
  }

  async readLog(after: number, limit: number): Promise<Event[]> {
    return this.read(async () => {
      const docs = await this.committed
        .find(
          { position: { $gt: Math.trunc(after) } },
          { sort: { position: 1 }, limit: Math.max(0, Math.trunc(limit)), useBigInt64: true },
        )
        .toArray();
      return docs.map(toEvent);
    });
  }

  async headPosition(): Promise<number> {
    return this.read(() => this.highestPosition(this.committed));
  }

  /** Triggers, their cursors and dead letters in this database, on this client (core/ports/trigger-store.ts). */
  triggerStore(): TriggerStore {
    return createMongoTriggerStore(this.client.db(this.events.dbName), () => this.closed);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Commit what callers are already waiting for, then let go of the connections.
    await this.tail;
    await this.client.close();
  }

  private read<T>(run: () => Promise<T>): Promise<T> {
    return guardedRead(this.closed, run, (err) => `mongo read failed: ${err.message}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
