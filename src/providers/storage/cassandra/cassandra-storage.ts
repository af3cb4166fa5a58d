import cassandra from 'cassandra-driver';
import { alreadyExists, failedPrecondition, StategateError, unavailable } from '../../../core/errors.js';
import type { Entity, EntityKey, Event, EventRef } from '../../../core/model.js';
import { type Logger, silentLogger } from '../../../core/ports/logger.js';
import type {
  EntityHead,
  EntityQuery,
  EventQuery,
  StorageProvider,
  TypeQuery,
  WriteIntent,
} from '../../../core/ports/storage.js';
import type { TriggerStore, TriggerStoreSource } from '../../../core/ports/trigger-store.js';
import { planWrite } from '../../../core/write-plan.js';
import { guardedRead } from '../failures.js';
import { connect } from './connection.js';
import { LedgerReader } from './ledger-reader.js';
import { checkKeyspace, migrate } from './migrations.js';
import {
  EVENT_COLUMNS,
  entityId,
  eventValues,
  HEAD,
  ID_INDEX,
  TYPE_INDEX,
  toEntity,
  toEvent,
  toHead,
  typeId,
  VERSION_INDEX,
} from './rows.js';
import { listTypes, searchEntities, searchEvents, type TypeCountRow } from './search.js';
import { createCassandraTriggerStore } from './trigger-store.js';

export interface CassandraStorageOptions {
  /** `host:9042[,host2:9042]`: contact points; the driver finds the rest of the cluster. */
  addr: string;
  /** Default `stategate`; created at start when missing, with `replication`. */
  keyspace?: string;
  /** The data centre whose nodes the driver talks to. Default `datacenter1` (a single-node Cassandra's). */
  localDataCenter?: string;
  user?: string;
  password?: string;
  /** The keyspace's replication when it is created. Default `{"class": "SimpleStrategy", "replication_factor": 1}`. */
  replication?: Readonly<Record<string, string | number>>;
  /**
   * Commit and read consistency: LOCAL_QUORUM (default; one data centre only), QUORUM or ALL; weaker ones are
   * refused, and so is LOCAL_QUORUM on a keyspace replicated to several data centres.
   */
  consistency?: string;
  /** Paxos consistency: SERIAL (default); LOCAL_SERIAL is refused. */
  serialConsistency?: string;
  /** How long reaching a contact point may take before start fails with UNAVAILABLE. Default 5000 ms. */
  connectTimeoutMs?: number;
  logger?: Logger;
}

export const DEFAULT_CASSANDRA_KEYSPACE = 'stategate';
export const DEFAULT_CASSANDRA_DATA_CENTER = 'datacenter1';
const DEFAULT_REPLICATION = { class: 'SimpleStrategy', replication_factor: 1 };

/** Most appends committed by one conditional batch. */
const MAX_BATCH = 64;
/**
 * The most bytes of values and claims one batch carries (each is written three times: event, head, type copy).
 * Cassandra refuses batches over `batch_size_fail_threshold` (50 KiB by default); a larger single append goes
 * alone and needs that threshold raised (see the README).
 */
const MAX_BATCH_BYTES = 12 * 1024;
/** A write that lost a race retries with a fresh plan or position; this many times before it gives up. */
const MAX_ATTEMPTS = 200;
/** The longest pause between two attempts at a contested position. */
const MAX_PAUSE_MS = 500;
/** Keys per IN query of getEntities and of the heads a batch plans from. */
const IN_CHUNK = 100;

/**
 * Cassandra storage whose commit point is one lightweight transaction: a conditional batch on the single
 * partition of the `ledger` table (rows.ts), which Cassandra applies atomically and in isolation, decided by
 * Paxos at SERIAL and committed at LOCAL_QUORUM (or stronger). For each append it writes the event at the
 * next log position IF NOT EXISTS, claims the event id IF NOT EXISTS, and moves the entity's head IF its
 * version is still the one the plan read (or creates it IF NOT EXISTS), with the version and type index
 * rows. So:
 *
 * - G1: state (the head) and event are in one atomic batch; the answer comes after the commit log fsync of
 *   a quorum of replicas.
 * - G2/G3: the head's version is a compare-and-set; a writer that lost re-plans on the new head.
 * - G4: a writer inserts at exactly (the highest position it has seen occupied) + 1, so every position is
 *   committed after its predecessor, the log has no holes, and Paxos serialises every commit of the
 *   partition: a reader that has seen P never later finds a new event below P.
 *
 * The cost: every append of every instance goes through Paxos on one partition (four round trips, no
 * parallelism across the cluster), and that partition holds the whole store. Appends of one instance are
 * group-committed in submission order (one batch, one Paxos round for up to MAX_BATCH appends).
 */
export async function createCassandraStorage(options: CassandraStorageOptions): Promise<StorageProvider> {
  const logger = options.logger ?? silentLogger;
  const keyspace = checkKeyspace(options.keyspace ?? DEFAULT_CASSANDRA_KEYSPACE);
  const connection = await connect({
    addr: options.addr,
    localDataCenter: options.localDataCenter ?? DEFAULT_CASSANDRA_DATA_CENTER,
    user: options.user,
    password: options.password,
    consistency: options.consistency,
    serialConsistency: options.serialConsistency,
    connectTimeoutMs: options.connectTimeoutMs ?? 5000,
  });
  try {
    const applied = await migrate(connection.client, keyspace, options.replication ?? DEFAULT_REPLICATION);
    await checkDataCentres(connection.client, keyspace, options.consistency ?? 'LOCAL_QUORUM');
    const storage = new CassandraStorage(connection.client, keyspace, connection);
    await storage.open();
    logger.info({ keyspace, migrations: applied }, 'cassandra storage open');
    return storage;
  } catch (err) {
    await connection.client.shutdown().catch(() => undefined);
    if (err instanceof StategateError) throw err;
    throw unavailable(`cassandra storage could not prepare its keyspace: ${(err as Error).message}`, err);
  }
}

/**
 * LOCAL_QUORUM keeps G4 within one data centre only: an event committed from another data centre reaches a
 * local quorum later than Paxos decided it, so a reader here could see position P before P - 1. A keyspace
 * replicated to several data centres needs QUORUM (or ALL).
 */
async function checkDataCentres(client: cassandra.Client, keyspace: string, consistency: string): Promise<void> {
  if (consistency !== 'LOCAL_QUORUM') return;
  const row = (
    await client.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace])
  ).first();
  const replication = (row?.replication ?? {}) as Record<string, string>;
  const centres = String(replication.class ?? '').endsWith('NetworkTopologyStrategy')
    ? Object.keys(replication).filter((name) => name !== 'class' && name !== 'replication_factor')
    : [];
  if (centres.length > 1)
    throw failedPrecondition(
      `consistency LOCAL_QUORUM would weaken the guarantees: keyspace ${keyspace} is replicated to ${centres.length} data centres (${centres.join(', ')}), where a reader could see an event before the one below it; use QUORUM`,
    );
}

interface Pending {
  intent: WriteIntent;
  resolve: (event: Event) => void;
  reject: (error: StategateError) => void;
}

/** One append, planned: its event (position assigned) and the head it moves from and to. */
interface Planned {
  pending: Pending;
  event: Event;
  base: EntityHead | null;
  deleted: boolean;
}

class CassandraStorage implements StorageProvider, TriggerStoreSource {
  readonly name = 'cassandra';
  private readonly triggers: TriggerStore;
  private readonly table: string;
  private readonly ledger: LedgerReader;
  private readonly lwt: cassandra.QueryOptions;
  private readonly serialConsistency: number;
  /** The highest position this instance has seen occupied; the next append tries the one after it. */
  private position = 0;
  /** The longest pause before retrying a lost position race, ms; adapts to the contention. */
  private pressure = 0;
  private readonly queue: Pending[] = [];
  private draining = false;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly client: cassandra.Client,
    keyspace: string,
    levels: { consistency: number; serialConsistency: number },
  ) {
    this.table = `${keyspace}.ledger`;
    this.ledger = new LedgerReader(client, this.table);
    this.serialConsistency = levels.serialConsistency;
    this.lwt = { prepare: true, consistency: levels.consistency, serialConsistency: levels.serialConsistency };
    this.triggers = createCassandraTriggerStore(client, keyspace, this.lwt, () => this.closed);
  }

  /** Triggers, their cursors and dead letters in the same keyspace (trigger-store.ts). */
  triggerStore(): TriggerStore {
    return this.triggers;
  }

  async open(): Promise<void> {
    this.position = await this.highestPosition();
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
      while (this.queue.length > 0) {
        const rest = await this.commitBatch(this.queue.splice(0, MAX_BATCH));
        this.queue.unshift(...rest);
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * Group commit: plans the batch in order, up to the first append whose entity or event id is already in
   * it (that one and the rest wait for the next batch, planned on top of this one), and commits the planned
   * ones in one conditional batch. If any condition fails (another instance moved a head or took the
   * position, or an id exists), nothing of it was written: each goes again alone, planned afresh, in order.
   * Returns the appends left for the next batch.
   */
  private async commitBatch(batch: Pending[]): Promise<Pending[]> {
    let heads: Map<string, EntityHead>;
    try {
      heads = await this.readHeads(batch.map((p) => p.intent.target));
    } catch (err) {
      const error = writeFailure(err);
      for (const p of batch) p.reject(error);
      return [];
    }
    const planned: Planned[] = [];
    const entities = new Set<string>();
    const ids = new Set<string>();
    let bytes = 0;
    let taken = 0;
    for (const pending of batch) {
      const id = entityId(pending.intent.target);
      if (entities.has(id) || ids.has(pending.intent.eventId)) break;
      taken++;
      try {
        const next = this.plan(pending, heads.get(id) ?? null, this.position + 1 + planned.length);
        const size = 3 * (JSON.stringify(next.event.entity.values).length + JSON.stringify(next.event.claims).length);
        if (planned.length > 0 && bytes + size > MAX_BATCH_BYTES) {
          taken--;
          break;
        }
        bytes += size;
        entities.add(id);
        ids.add(pending.intent.eventId);
        planned.push(next);
      } catch (err) {
        pending.reject(err as StategateError);
      }
    }
    const rest = batch.slice(taken);
    if (planned.length === 0) return rest;
    let applied: boolean;
    try {
      applied = (await this.commitOrSettle(planned)) === 'applied';
    } catch (err) {
      // Unknown outcome (connection lost…): none of these is acknowledged.
      const error = writeFailure(err);
      for (const { pending } of planned) pending.reject(error);
      return rest;
    }
    if (applied) {
      this.position = planned[planned.length - 1]!.event.position;
      for (const { pending, event } of planned) pending.resolve(event);
      return rest;
    }
    for (const { pending } of planned) await this.appendAlone(pending.intent).then(pending.resolve, pending.reject);
    return rest;
  }

  /** One append on its own, retried until it commits or is refused (see commitBatch). */
  private async appendAlone(intent: WriteIntent): Promise<Event> {
    const pending: Pending = { intent, resolve: () => undefined, reject: () => undefined };
    try {
      let head = await this.readHead(intent.target);
      for (let attempt = 1; ; attempt++) {
        const planned = this.plan(pending, head, this.position + 1);
        const outcome = await this.commitOrSettle([planned]);
        if (outcome === 'applied') {
          this.pressure = Math.floor(this.pressure / 2);
          this.position = planned.event.position;
          return planned.event;
        }
        if (attempt >= MAX_ATTEMPTS) {
          throw unavailable(`too many concurrent writers: gave up after ${attempt} attempts; nothing was written`);
        }
        if (outcome === 'timed out') {
          // Paxos gave up under contention and nothing went in: the same plan may still be right.
          head = await this.readHead(intent.target);
          this.position = Math.max(this.position, await this.highestPosition());
          continue;
        }
        // Which condition failed? Versions and positions only grow, so re-reading tells.
        const fresh = await this.readHead(intent.target);
        if ((fresh?.version ?? 0) !== (head?.version ?? 0)) {
          head = fresh;
          continue;
        }
        const highest = await this.highestPosition();
        if (highest < planned.event.position) throw alreadyExists(`event id ${intent.eventId} already exists`);
        this.position = highest;
        // Writers of several instances race for the same next position: a random pause that grows with
        // every lost race (and shrinks with every win) spreads them out.
        this.pressure = Math.min(MAX_PAUSE_MS, this.pressure * 2 + 1);
        await sleep(Math.random() * this.pressure);
      }
    } catch (err) {
      throw writeFailure(err);
    }
  }

  /** The event and head this intent produces on top of `head`, at `position`, or the refusal. */
  private plan(pending: Pending, head: EntityHead | null, position: number): Planned {
    try {
      const { head: next, event } = planWrite(pending.intent, head);
      return { pending, event: { ...event, position }, base: head, deleted: next.values === null };
    } catch (err) {
      // `next` and the values it returns are the caller's: a non-StategateError is a bug upstream (INTERNAL).
      throw StategateError.from(err);
    }
  }

  /**
   * Commits the batch; true when Cassandra applied it. Under contention Paxos may time out with the outcome
   * unknown (a write timeout at SERIAL): a SERIAL read of the first event id then finishes or rules out the
   * round that was in progress, and tells whether the batch went in (all of it or none: it is atomic).
   */
  private async commitOrSettle(planned: Planned[]): Promise<'applied' | 'refused' | 'timed out'> {
    try {
      return (await this.commit(planned)) ? 'applied' : 'refused';
    } catch (err) {
      if (!isPaxosTimeout(err)) throw err;
    }
    const first = planned[0]!.event;
    for (let attempt = 1; ; attempt++) {
      this.pressure = Math.min(MAX_PAUSE_MS, this.pressure * 2 + 1);
      await sleep(Math.random() * this.pressure);
      try {
        const row = await this.ledger.first(
          `SELECT ref FROM ${this.table} WHERE shard = 0 AND pos = ? AND entity = ? AND seq = 0`,
          [ID_INDEX, first.id],
          { consistency: this.serialConsistency },
        );
        return row && Number(row.ref) === first.position ? 'applied' : 'timed out';
      } catch (err) {
        if (!isPaxosTimeout(err) || attempt >= 10) throw err;
      }
    }
  }

  /** The conditional batch of the planned appends; true when Cassandra applied it (all of it). */
  private async commit(planned: Planned[]): Promise<boolean> {
    const t = this.table;
    const queries: { query: string; params: unknown[] }[] = [];
    for (const { event, base, deleted } of planned) {
      const position = BigInt(event.position);
      const id = entityId(event.entity);
      const values = eventValues(event, deleted);
      const state = values[8];
      queries.push(
        {
          query: `INSERT INTO ${t} (shard, pos, entity, seq, ${EVENT_COLUMNS}) VALUES (0, ?, '', 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
          params: [position, ...values],
        },
        {
          query: `INSERT INTO ${t} (shard, pos, entity, seq, ref) VALUES (0, ?, ?, 0, ?) IF NOT EXISTS`,
          params: [ID_INDEX, event.id, position],
        },
        base === null
          ? {
              query: `INSERT INTO ${t} (shard, pos, entity, seq, domain, etype, ekey, version, etime, state, deleted) VALUES (0, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
              params: [
                HEAD,
                id,
                event.entity.domain,
                event.entity.type,
                event.entity.key,
                event.entity.version,
                event.time,
                state,
                deleted,
              ],
            }
          : {
              query: `UPDATE ${t} SET version = ?, etime = ?, state = ?, deleted = ? WHERE shard = 0 AND pos = ? AND entity = ? AND seq = 0 IF version = ?`,
              params: [event.entity.version, event.time, state, deleted, HEAD, id, base.version],
            },
        {
          query: `INSERT INTO ${t} (shard, pos, entity, seq, ref, etime) VALUES (0, ?, ?, ?, ?, ?)`,
          params: [VERSION_INDEX, id, BigInt(event.entity.version), position, event.time],
        },
        {
          query: `INSERT INTO ${t} (shard, pos, entity, seq, ${EVENT_COLUMNS}) VALUES (0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          params: [TYPE_INDEX, typeId(event.entity.domain, event.entity.type), position, ...values],
        },
      );
    }
    const result = await this.client.batch(queries, { ...this.lwt, logged: false });
    return result.wasApplied();
  }

  private async readHead(key: EntityKey): Promise<EntityHead | null> {
    const row = await this.ledger.first(
      `SELECT version, state, deleted, etime FROM ${this.table} WHERE shard = 0 AND pos = ? AND entity = ? AND seq = 0`,
      [HEAD, entityId(key)],
    );
    return row && toHead(row);
  }

  /** The stored heads of these entities, by entityId. */
  private async readHeads(keys: readonly EntityKey[]): Promise<Map<string, EntityHead>> {
    const rows = await this.headRows(keys);
    const heads = new Map<string, EntityHead>();
    for (const [id, row] of rows) heads.set(id, toHead(row));
    return heads;
  }

  private async headRows(keys: readonly EntityKey[]): Promise<Map<string, cassandra.types.Row>> {
    const ids = [...new Set(keys.map(entityId))];
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += IN_CHUNK) chunks.push(ids.slice(i, i + IN_CHUNK));
    const found = new Map<string, cassandra.types.Row>();
    for (let i = 0; i < chunks.length; i += 8) {
      const results = await Promise.all(
        chunks
          .slice(i, i + 8)
          .map((chunk) =>
            this.ledger.all(
              `SELECT entity, domain, etype, ekey, version, state, deleted, etime FROM ${this.table} WHERE shard = 0 AND pos = ? AND entity IN ? AND seq = 0`,
              [HEAD, chunk],
            ),
          ),
      );
      for (const rows of results) for (const row of rows) found.set(row.entity as string, row);
    }
    return found;
  }

  private async highestPosition(): Promise<number> {
    const row = await this.ledger.first(`SELECT pos FROM ${this.table} WHERE shard = 0 ORDER BY pos DESC LIMIT 1`, []);
    return row ? Math.max(0, Number(row.pos)) : 0;
  }

  /** The event at a log position (null when there is none). */
  private async eventAt(position: bigint): Promise<Event | null> {
    const row = await this.ledger.first(
      `SELECT ${EVENT_COLUMNS} FROM ${this.table} WHERE shard = 0 AND pos = ? AND entity = '' AND seq = 0`,
      [position],
    );
    return row && toEvent(row, position);
  }

  async getEntity(key: EntityKey): Promise<Entity | null> {
    return this.read(async () => {
      const row = await this.ledger.first(
        `SELECT domain, etype, ekey, version, state, deleted FROM ${this.table} WHERE shard = 0 AND pos = ? AND entity = ? AND seq = 0`,
        [HEAD, entityId(key)],
      );
      return row && toEntity(row);
    });
  }

  async getEntities(keys: readonly EntityKey[]): Promise<(Entity | null)[]> {
    return this.read(async () => {
      const rows = await this.headRows(keys);
      return keys.map((key) => {
        const row = rows.get(entityId(key));
        return row ? toEntity(row) : null;
      });
    });
  }

  async getEventByVersion(key: EntityKey, version: number): Promise<Event | null> {
    return this.read(async () => {
      if (!Number.isSafeInteger(version) || version < 1) return null;
      const row = await this.ledger.first(
        `SELECT ref FROM ${this.table} WHERE shard = 0 AND pos = ? AND entity = ? AND seq = ?`,
        [VERSION_INDEX, entityId(key), BigInt(version)],
      );
      return row ? this.eventAt(row.ref as bigint) : null;
    });
  }

  async getEventAt(key: EntityKey, at: bigint): Promise<Event | null> {
    return this.read(async () => {
      // An entity's times rise with its versions (the write plan keeps them so): the last version at or
      // before `at` is the state as of then.
      const versions = await this.ledger.all(
        `SELECT seq, ref, etime FROM ${this.table} WHERE shard = 0 AND pos = ? AND entity = ?`,
        [VERSION_INDEX, entityId(key)],
      );
      let found: bigint | null = null;
      for (const row of versions) if (BigInt(row.etime as bigint) <= at) found = row.ref as bigint;
      return found === null ? null : this.eventAt(found);
    });
  }

  async getEvent(ref: EventRef): Promise<Event | null> {
    return this.read(async () => {
      const row = await this.ledger.first(
        `SELECT ref FROM ${this.table} WHERE shard = 0 AND pos = ? AND entity = ? AND seq = 0`,
        [ID_INDEX, ref.id],
      );
      if (!row) return null;
      const event = await this.eventAt(row.ref as bigint);
      if (!event) return null;
      const { domain, type, key } = event.entity;
      return domain === ref.domain && type === ref.type && key === ref.key ? event : null;
    });
  }

  async searchEntities(query: EntityQuery): Promise<Entity[]> {
    return this.read(() => searchEntities(this.ledger, query));
  }

  async searchEvents(query: EventQuery): Promise<Event[]> {
    return this.read(() => searchEvents(this.ledger, query));
  }

  async listTypes(query: TypeQuery): Promise<TypeCountRow[]> {
    return this.read(() => listTypes(this.ledger, query));
  }

  async readLog(after: number, limit: number): Promise<Event[]> {
    return this.read(async () => {
      const count = Math.max(0, Math.trunc(limit));
      if (count === 0) return [];
      const from = BigInt(Math.max(0, Math.trunc(after)));
      const result = await this.client.execute(
        `SELECT pos, ${EVENT_COLUMNS} FROM ${this.table} WHERE shard = 0 AND pos > ? LIMIT ?`,
        [from, count],
        { isIdempotent: true, fetchSize: Math.min(count, 5000) },
      );
      return result.rows.map((row) => toEvent(row, row.pos as bigint));
    });
  }

  async headPosition(): Promise<number> {
    return this.read(() => this.highestPosition());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Commit what callers are already waiting for, then let go of the connections.
    await this.tail;
    await this.client.shutdown();
  }

  private read<T>(run: () => Promise<T>): Promise<T> {
    return guardedRead(this.closed, run, (err) => `cassandra read failed: ${err.message}`);
  }
}

/** A driver failure is UNAVAILABLE (never acknowledged); a refusal passes through. */
function writeFailure(err: unknown): StategateError {
  if (err instanceof StategateError) return err;
  return unavailable(`cassandra write failed: ${(err as Error).message}`, err);
}

/**
 * The server gave up waiting (Paxos contention, or replicas slow to commit): it cannot tell whether the write
 * went in, but a SERIAL read can.
 */
function isPaxosTimeout(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return (
    code === cassandra.types.responseErrorCodes.writeTimeout || code === cassandra.types.responseErrorCodes.readTimeout
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
