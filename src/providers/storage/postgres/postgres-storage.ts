import pg from 'pg';
import { alreadyExists, invalid, StategateError, unavailable } from '../../../core/errors.js';
import type { Entity, EntityKey, Event, EventRef, TypeCount } from '../../../core/model.js';
import { type Logger, silentLogger } from '../../../core/ports/logger.js';
import type { EntityQuery, EventQuery, StorageProvider, TypeQuery, WriteIntent } from '../../../core/ports/storage.js';
import type { TriggerStore } from '../../../core/ports/trigger-store.js';
import { redactUrl } from '../../redact-url.js';
import { type BatchOutcome, BatchQueue } from '../batch-queue.js';
import { batchFailure, guardedRead } from '../failures.js';
import { planSqlWrite } from '../sql-write-plan.js';
import { listTypes } from './list-types.js';
import { migrate } from './migrations.js';
import { type EntityRow, EVENT_COLUMNS, type EventRow, type HeadRow, toEntity, toEvent, toHead } from './rows.js';
import { searchEntities, searchEvents } from './search.js';
import { createPostgresTriggerStore } from './trigger-store.js';

export interface PostgresStorageOptions {
  /** `postgres://user:password@host:port/database` */
  url: string;
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  /** Where migrations and connection errors are logged; pino fits. Default: silent. */
  logger?: Logger;
  /**
   * How long getting a connection may take before the operation fails with UNAVAILABLE. Default: the
   * url's libpq `connect_timeout` (seconds), else 5000 ms.
   */
  connectTimeoutMs?: number;
  /**
   * How long one statement may go unanswered before it fails with UNAVAILABLE (and its connection is
   * dropped, which rolls its transaction back). Bounds requests when PostgreSQL hangs or the network
   * drops packets instead of refusing. Default: the url's `query_timeout` (ms), else 10000 ms.
   */
  queryTimeoutMs?: number;
}

/** The timeouts a postgres url may carry (`?connect_timeout=5` as libpq, `?query_timeout=10000` as pg). */
function urlTimeouts(url: string): { connectMs?: number; queryMs?: number } {
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return {};
  }
  const positive = (v: string | null) => (v !== null && Number(v) > 0 ? Number(v) : undefined);
  const connect = positive(params.get('connect_timeout'));
  return {
    connectMs: connect === undefined ? undefined : connect * 1000,
    queryMs: positive(params.get('query_timeout')),
  };
}

/**
 * The advisory lock that orders the log (G4). A batch of appends takes it (transaction-scoped) first and
 * holds it until COMMIT, so positions are drawn in commit order and a reader that has seen position P can
 * never later find a newly committed event below P.
 *
 * Taken first, before any head row lock, so that no transaction ever holds a head lock while waiting
 * for the log lock: two instances cannot deadlock on them. Cost: across all instances sharing the
 * database, batches commit one at a time; each batch shares one transaction and one commit flush among
 * up to MAX_BATCH appends, so throughput grows with concurrent writers instead of being bounded by one
 * flush per append.
 */
const LOG_LOCK = 0x5374_6c67; // "Stlg"

/**
 * PostgreSQL storage. Opening connects, runs pending migrations (schema_migrations) and refuses a
 * database from a newer build; a database that cannot be reached fails the start with UNAVAILABLE.
 *
 * Appends are group-committed (BatchQueue): one READ COMMITTED transaction per batch, one batch in flight
 * per instance, intents applied in submission order; so, within one instance, an intent sees the effect of
 * the intents submitted before it and positions follow submission order (as on sqlite). Instances sharing
 * a database take turns by the log lock (G4); the row lock on each entity's head keeps G3 on its own.
 */
export async function createPostgresStorage(options: PostgresStorageOptions): Promise<StorageProvider> {
  const logger = options.logger ?? silentLogger;
  const fromUrl = urlTimeouts(options.url);
  const connectTimeoutMs = options.connectTimeoutMs ?? fromUrl.connectMs ?? 5000;
  const queryTimeoutMs = options.queryTimeoutMs ?? fromUrl.queryMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: connectTimeoutMs,
    query_timeout: queryTimeoutMs,
    // Dead peers (a host gone without closing its sockets) are noticed on idle connections too.
    keepAlive: true,
  });
  // An idle connection that breaks (server restart) must not crash the process; the pool drops it.
  pool.on('error', (err) => logger.warn({ err }, 'postgres idle connection failed'));
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw unavailable(`cannot connect to postgres at ${redactUrl(options.url)}: ${(err as Error).message}`, err);
  }
  try {
    await migrate(client, logger);
  } catch (err) {
    client.release(true);
    await pool.end().catch(() => undefined);
    if (err instanceof StategateError) throw err;
    throw unavailable(`postgres migration failed: ${(err as Error).message}`, err);
  }
  client.release();
  // A write waits its turn at most one connect plus one statement timeout (see PostgresStorage.append).
  return new PostgresStorage(pool, connectTimeoutMs + queryTimeoutMs);
}

/** Most appends in one transaction: bounds how long a batch holds the log lock. */
const MAX_BATCH = 256;

/** Keys per getEntities query. */
const GET_MANY_CHUNK = 1000;

class PostgresStorage implements StorageProvider {
  readonly name = 'postgres';
  private closed = false;
  private readonly batches: BatchQueue<WriteIntent, Event>;

  constructor(
    private readonly pool: pg.Pool,
    queueTimeoutMs: number,
  ) {
    this.batches = new BatchQueue((intents) => this.commitBatch(intents), {
      maxBatch: MAX_BATCH,
      queueTimeoutMs,
      batchFailed: batchFailure('postgres'),
    });
  }

  append(intent: WriteIntent): Promise<Event> {
    return this.batches.submit(intent);
  }

  /**
   * One batch of intents in one transaction: the log lock first (see LOG_LOCK), then each intent inside
   * its own SAVEPOINT, so an intent that is refused (precondition, Edit of a missing entity, a value
   * postgres cannot store) rolls back only itself and the others commit. Any other failure aborts the
   * whole transaction and the batch fails UNAVAILABLE: nothing of it is acknowledged.
   */
  private async commitBatch(intents: readonly WriteIntent[]): Promise<BatchOutcome<Event>[]> {
    const client = await this.connect();
    let broken: Error | undefined;
    // A checked-out client whose connection dies emits 'error'; unheard, that would crash the process.
    // The failing query rejects as well, so noting it here is enough.
    const onError = (err: Error) => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [LOG_LOCK]);
        const outcomes: BatchOutcome<Event>[] = [];
        for (const intent of intents) {
          await client.query('SAVEPOINT intent');
          try {
            const event = await this.applyIntent(client, intent);
            await client.query('RELEASE SAVEPOINT intent');
            outcomes.push({ ok: true, value: event });
          } catch (err) {
            const refusal = intentRefusal(err);
            if (!refusal) throw err;
            await client.query('ROLLBACK TO SAVEPOINT intent');
            outcomes.push({ ok: false, error: refusal });
          }
        }
        await client.query('COMMIT');
        return outcomes;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: Error) => {
          broken = rollbackErr;
        });
        throw err;
      }
    } catch (err) {
      broken ??= err as Error;
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  private async applyIntent(client: pg.PoolClient, intent: WriteIntent): Promise<Event> {
    const { domain, type, key } = intent.target;
    // Make sure a head row exists (a placeholder at version 0, rolled back with a refused intent), then lock
    // it: concurrent writers of one entity queue here, and each plans from the head the previous committed.
    await client.query(
      `INSERT INTO entities (domain, type, key, version, "values", time) VALUES ($1, $2, $3, 0, NULL, 0)
       ON CONFLICT (domain, type, key) DO NOTHING`,
      [domain, type, key],
    );
    const { rows } = await client.query<HeadRow>(
      'SELECT version, "values", time FROM entities WHERE domain = $1 AND type = $2 AND key = $3 FOR UPDATE',
      [domain, type, key],
    );
    const row = rows[0];
    const head = row && Number(row.version) > 0 ? toHead(row) : null;

    const { plan, headJson, claimsJson, valuesJson } = planSqlWrite(intent, () => head);

    await client.query(
      `UPDATE entities SET version = $4, "values" = $5::jsonb, time = $6
       WHERE domain = $1 AND type = $2 AND key = $3`,
      [domain, type, key, plan.head.version, headJson, plan.head.time.toString()],
    );
    // The batch holds the log lock (G4), so positions are drawn in commit order.
    const { event } = plan;
    const inserted = await client.query<EventRow>(
      `INSERT INTO events (position, id, domain, type, key, version, method, claims, "values", time)
       VALUES (nextval('events_position'), $1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9)
       RETURNING ${EVENT_COLUMNS}`,
      [event.id, domain, type, key, event.entity.version, event.method, claimsJson, valuesJson, event.time.toString()],
    );
    // Answer with what was stored, so the acknowledged event equals what any later read returns.
    return toEvent(inserted.rows[0]!);
  }

  async getEntity(key: EntityKey): Promise<Entity | null> {
    const rows = await this.query<EntityRow>(
      'SELECT key, version, "values" FROM entities WHERE domain = $1 AND type = $2 AND key = $3 AND "values" IS NOT NULL',
      [key.domain, key.type, key.key],
    );
    return rows[0] ? toEntity(key.domain, key.type, rows[0]) : null;
  }

  async getEntities(keys: readonly EntityKey[]): Promise<(Entity | null)[]> {
    const results: (Entity | null)[] = new Array(keys.length).fill(null);
    for (let start = 0; start < keys.length; start += GET_MANY_CHUNK) {
      const chunk = keys.slice(start, start + GET_MANY_CHUNK);
      const rows = await this.query<EntityRow & { idx: string }>(
        `SELECT k.idx, e.key, e.version, e."values"
         FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS k(domain, type, key, idx)
         JOIN entities AS e ON e.domain = k.domain AND e.type = k.type AND e.key = k.key
         WHERE e."values" IS NOT NULL`,
        [chunk.map((k) => k.domain), chunk.map((k) => k.type), chunk.map((k) => k.key)],
      );
      for (const row of rows) {
        const index = start + Number(row.idx) - 1;
        const key = keys[index]!;
        results[index] = toEntity(key.domain, key.type, row);
      }
    }
    return results;
  }

  async getEventByVersion(key: EntityKey, version: number): Promise<Event | null> {
    if (!Number.isSafeInteger(version)) return null;
    const rows = await this.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE domain = $1 AND type = $2 AND key = $3 AND version = $4`,
      [key.domain, key.type, key.key, version],
    );
    return rows[0] ? toEvent(rows[0]) : null;
  }

  async getEventAt(key: EntityKey, at: bigint): Promise<Event | null> {
    const rows = await this.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE domain = $1 AND type = $2 AND key = $3 AND time <= $4
       ORDER BY time DESC, position DESC LIMIT 1`,
      [key.domain, key.type, key.key, at.toString()],
    );
    return rows[0] ? toEvent(rows[0]) : null;
  }

  async getEvent(ref: EventRef): Promise<Event | null> {
    const rows = await this.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE id = $1 AND domain = $2 AND type = $3 AND key = $4`,
      [ref.id, ref.domain, ref.type, ref.key],
    );
    return rows[0] ? toEvent(rows[0]) : null;
  }

  async searchEntities(query: EntityQuery): Promise<Entity[]> {
    return this.read(() => searchEntities(this.pool, query));
  }

  async searchEvents(query: EventQuery): Promise<Event[]> {
    return this.read(() => searchEvents(this.pool, query));
  }

  async listTypes(query: TypeQuery): Promise<TypeCount[]> {
    return this.read(() => listTypes(this.pool, query));
  }

  async readLog(after: number, limit: number): Promise<Event[]> {
    const rows = await this.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2`,
      [Math.trunc(after).toString(), Math.max(0, Math.trunc(limit)).toString()],
    );
    return rows.map(toEvent);
  }

  async headPosition(): Promise<number> {
    const rows = await this.query<{ position: string | null }>('SELECT max(position) AS position FROM events', []);
    return Number(rows[0]?.position ?? 0);
  }

  /** Triggers, their cursors and dead letters in this database, on this pool (core/ports/trigger-store.ts). */
  triggerStore(): TriggerStore {
    return createPostgresTriggerStore(this.pool, () => this.closed);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Commit what callers are already waiting for, then let go of the connections.
    await this.batches.close();
    await this.pool.end();
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw unavailable(`postgres unavailable: ${(err as Error).message}`, err);
    }
  }

  private query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    return this.read(async () => (await this.pool.query<R>(sql, params)).rows);
  }

  private read<T>(run: () => Promise<T>): Promise<T> {
    return guardedRead(this.closed, run);
  }
}

/** Why one intent of a batch was refused (only it rolls back), or null when the failure is the batch's. */
function intentRefusal(err: unknown): StategateError | null {
  // planWrite and `next` refuse with a StategateError; anything else they throw is a bug upstream (INTERNAL).
  if (err instanceof StategateError) return err;
  const e = err as { code?: unknown; constraint?: unknown } | null;
  if (e?.code === '23505' && e.constraint === 'events_id_key') return alreadyExists('event id already exists');
  // jsonb cannot hold U+0000 in a string (sqlite can): refuse the input rather than report an outage.
  if (e?.code === '22P05') return invalid('values or claims contain a character postgres cannot store (U+0000)');
  return null;
}
