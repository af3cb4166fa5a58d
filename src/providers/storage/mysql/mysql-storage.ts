import mysql, { type Pool, type PoolConnection, type RowDataPacket } from 'mysql2/promise';
import { StategateError, unavailable } from '../../../core/errors.js';
import type { Entity, EntityKey, Event, EventRef, TypeCount } from '../../../core/model.js';
import { type Logger, silentLogger } from '../../../core/ports/logger.js';
import type { EntityQuery, EventQuery, StorageProvider, TypeQuery, WriteIntent } from '../../../core/ports/storage.js';
import type { TriggerStore } from '../../../core/ports/trigger-store.js';
import { redactUrl } from '../../redact-url.js';
import { type BatchOutcome, BatchQueue } from '../batch-queue.js';
import { batchFailure, guardedRead } from '../failures.js';
import { listTypes } from './list-types.js';
import { migrate } from './migrations.js';
import { type EntityRow, EVENT_COLUMNS, type EventRow, toEntity, toEvent } from './rows.js';
import { searchEntities, searchEvents } from './search.js';
import { checkServer } from './server-check.js';
import { createMysqlTriggerStore } from './trigger-store.js';
import { applyBatch, execOn } from './write-batch.js';

export interface MysqlStorageOptions {
  /** `mysql://user:password@host:port/database` */
  url: string;
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  /** Where migrations are logged; pino fits. Default: silent. */
  logger?: Logger;
  /** How long connecting may take before the operation fails with UNAVAILABLE. Default 5000 ms. */
  connectTimeoutMs?: number;
  /**
   * How long one statement may go unanswered before it fails with UNAVAILABLE (a write's connection is then
   * dropped, which rolls its transaction back). Bounds requests when MariaDB hangs or the network drops
   * packets instead of refusing. Default 10000 ms.
   */
  queryTimeoutMs?: number;
}

/**
 * Prepared statements each connection keeps (least recently used are closed). Searches generate many
 * statement shapes; MariaDB caps prepared statements server-wide (max_prepared_stmt_count, 16382 by
 * default), so each connection keeps few.
 */
const PREPARED_STATEMENTS_PER_CONNECTION = 128;

/** Most appends in one transaction: bounds how long a batch holds the log head. */
const MAX_BATCH = 256;

/** Keys per getEntities query. */
const GET_MANY_CHUNK = 1000;

/** The longest name the schema stores (VARBINARY(768)); a longer one cannot exist. */
const MAX_NAME_BYTES = 768;

/**
 * MariaDB storage (the `mysql` provider). Opening connects, refuses a server that would weaken a guarantee
 * (server-check.ts), runs pending migrations (schema_migrations) and refuses a database from a newer build;
 * a server that cannot be reached fails the start with UNAVAILABLE, naming the address (password masked).
 *
 * Appends are group-committed (BatchQueue, as on postgres): one transaction per batch, one batch in flight
 * per instance, intents applied in submission order; so, within one instance, an intent sees the effect of
 * the intents submitted before it and positions follow submission order (as on sqlite). Instances sharing
 * a database take turns by the row lock on `log_head` (G4, write-batch.ts), which also orders writers of
 * one entity (G3). A write that cannot start within one connect plus one statement timeout fails
 * UNAVAILABLE and is never tried.
 */
export async function createMysqlStorage(options: MysqlStorageOptions): Promise<StorageProvider> {
  const logger = options.logger ?? silentLogger;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
  const pool = mysql.createPool({
    uri: options.url,
    connectionLimit: options.poolSize ?? 10,
    connectTimeout: connectTimeoutMs,
    // BIGINT as decimal strings: nanosecond times exceed 2^53.
    supportBigNumbers: true,
    bigNumberStrings: true,
    // JSON as its text, parsed by rows.ts with plain JSON.parse: mysql2's own parser, under supportBigNumbers,
    // would turn a large integer inside a document into a string, unlike every other provider (G10).
    jsonStrings: true,
    charset: 'UTF8MB4_BIN',
    maxPreparedStatements: PREPARED_STATEMENTS_PER_CONNECTION,
    enableKeepAlive: true,
  });
  let connection: PoolConnection;
  try {
    connection = await pool.getConnection();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw unavailable(`cannot connect to mysql at ${redactUrl(options.url)}: ${(err as Error).message}`, err);
  }
  try {
    const server = await checkServer(connection);
    const schemaVersion = await migrate(connection, logger);
    logger.info({ url: redactUrl(options.url), server: server.version, schemaVersion }, 'mysql storage open');
  } catch (err) {
    connection.destroy();
    await pool.end().catch(() => undefined);
    const where = `mysql at ${redactUrl(options.url)}`;
    if (err instanceof StategateError) throw new StategateError(err.code, `${where}: ${err.message}`, { cause: err });
    throw unavailable(`${where}: migration failed: ${(err as Error).message}`, err);
  }
  connection.release();
  return new MysqlStorage(pool, queryTimeoutMs, connectTimeoutMs + queryTimeoutMs);
}

class MysqlStorage implements StorageProvider {
  readonly name = 'mysql';
  private closed = false;
  private readonly batches: BatchQueue<WriteIntent, Event>;

  constructor(
    private readonly pool: Pool,
    private readonly queryTimeoutMs: number,
    queueTimeoutMs: number,
  ) {
    this.batches = new BatchQueue((intents) => this.commitBatch(intents), {
      maxBatch: MAX_BATCH,
      queueTimeoutMs,
      batchFailed: batchFailure('mysql'),
    });
  }

  append(intent: WriteIntent): Promise<Event> {
    return this.batches.submit(intent);
  }

  /** One batch in one transaction (write-batch.ts). A connection that failed is destroyed, never reused. */
  private async commitBatch(intents: readonly WriteIntent[]): Promise<BatchOutcome<Event>[]> {
    const connection = await this.connect();
    const exec = execOn(connection, this.queryTimeoutMs);
    let broken = false;
    try {
      await exec('START TRANSACTION');
      try {
        const outcomes = await applyBatch(exec, intents);
        await exec('COMMIT');
        return outcomes;
      } catch (err) {
        // A statement that timed out is still running on the server, and a ROLLBACK would queue behind it:
        // drop the connection instead, which rolls the transaction back once the server notices.
        broken = isConnectionLost(err);
        if (!broken) {
          await exec('ROLLBACK').catch(() => {
            broken = true;
          });
        }
        throw err;
      }
    } catch (err) {
      broken ||= isConnectionLost(err);
      throw err;
    } finally {
      if (broken) connection.destroy();
      else connection.release();
    }
  }

  async getEntity(key: EntityKey): Promise<Entity | null> {
    const rows = await this.query<EntityRow>(
      'SELECT `key`, `version`, `values` FROM `entities` WHERE `domain` = ? AND `type` = ? AND `key` = ? AND `values` IS NOT NULL',
      [key.domain, key.type, key.key],
    );
    return rows[0] ? toEntity(key.domain, key.type, rows[0]) : null;
  }

  async getEntities(keys: readonly EntityKey[]): Promise<(Entity | null)[]> {
    const results: (Entity | null)[] = new Array(keys.length).fill(null);
    for (let start = 0; start < keys.length; start += GET_MANY_CHUNK) {
      const chunk = keys.slice(start, start + GET_MANY_CHUNK);
      // A name longer than any stored one cannot match; leaving it out keeps JSON_TABLE from truncating it.
      const wanted = chunk.flatMap((k, i) =>
        [k.domain, k.type, k.key].every((name) => Buffer.byteLength(name) <= MAX_NAME_BYTES)
          ? [[start + i, k.domain, k.type, k.key]]
          : [],
      );
      if (wanted.length === 0) continue;
      // One bound JSON array per chunk, joined to the primary key: one statement for any batch size.
      const rows = await this.query<EntityRow & { idx: string | number }>(
        `SELECT k.\`idx\`, e.\`key\`, e.\`version\`, e.\`values\`
         FROM JSON_TABLE(?, '$[*]' COLUMNS (
           \`idx\` BIGINT PATH '$[0]',
           \`domain\` VARCHAR(${MAX_NAME_BYTES}) PATH '$[1]',
           \`type\` VARCHAR(${MAX_NAME_BYTES}) PATH '$[2]',
           \`key\` VARCHAR(${MAX_NAME_BYTES}) PATH '$[3]')) AS k
         JOIN \`entities\` AS e
           ON e.\`domain\` = CAST(k.\`domain\` AS BINARY) AND e.\`type\` = CAST(k.\`type\` AS BINARY)
          AND e.\`key\` = CAST(k.\`key\` AS BINARY)
         WHERE e.\`values\` IS NOT NULL`,
        [JSON.stringify(wanted)],
      );
      for (const row of rows) {
        const index = Number(row.idx);
        const key = keys[index]!;
        results[index] = toEntity(key.domain, key.type, row);
      }
    }
    return results;
  }

  async getEventByVersion(key: EntityKey, version: number): Promise<Event | null> {
    if (!Number.isSafeInteger(version)) return null;
    const rows = await this.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM \`events\` WHERE \`domain\` = ? AND \`type\` = ? AND \`key\` = ? AND \`version\` = ?`,
      [key.domain, key.type, key.key, version],
    );
    return rows[0] ? toEvent(rows[0]) : null;
  }

  async getEventAt(key: EntityKey, at: bigint): Promise<Event | null> {
    const rows = await this.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM \`events\` WHERE \`domain\` = ? AND \`type\` = ? AND \`key\` = ?
       AND \`time\` <= CAST(? AS SIGNED) ORDER BY \`time\` DESC, \`position\` DESC LIMIT 1`,
      [key.domain, key.type, key.key, at.toString()],
    );
    return rows[0] ? toEvent(rows[0]) : null;
  }

  async getEvent(ref: EventRef): Promise<Event | null> {
    const rows = await this.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM \`events\` WHERE \`id\` = ? AND \`domain\` = ? AND \`type\` = ? AND \`key\` = ?`,
      [ref.id, ref.domain, ref.type, ref.key],
    );
    return rows[0] ? toEvent(rows[0]) : null;
  }

  async searchEntities(query: EntityQuery): Promise<Entity[]> {
    return this.read(() => searchEntities(this.pool, query, this.queryTimeoutMs));
  }

  async searchEvents(query: EventQuery): Promise<Event[]> {
    return this.read(() => searchEvents(this.pool, query, this.queryTimeoutMs));
  }

  async listTypes(query: TypeQuery): Promise<TypeCount[]> {
    return this.read(() => listTypes(this.pool, query, this.queryTimeoutMs));
  }

  async readLog(after: number, limit: number): Promise<Event[]> {
    const rows = await this.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM \`events\` WHERE \`position\` > CAST(? AS SIGNED) ORDER BY \`position\` LIMIT ?`,
      [Math.trunc(after).toString(), Math.max(0, Math.trunc(limit)).toString()],
    );
    return rows.map(toEvent);
  }

  async headPosition(): Promise<number> {
    const rows = await this.query<{ position: string | null } & RowDataPacket>(
      'SELECT MAX(`position`) AS `position` FROM `events`',
      [],
    );
    return Number(rows[0]?.position ?? 0);
  }

  /** Triggers, their cursors and dead letters in this database, on this pool (core/ports/trigger-store.ts). */
  triggerStore(): TriggerStore {
    return createMysqlTriggerStore(this.pool, () => this.closed);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Commit what callers are already waiting for, then let go of the connections.
    await this.batches.close();
    await this.pool.end();
  }

  private async connect(): Promise<PoolConnection> {
    try {
      return await this.pool.getConnection();
    } catch (err) {
      throw unavailable(`mysql unavailable: ${(err as Error).message}`, err);
    }
  }

  private query<R extends RowDataPacket>(sql: string, params: (string | number)[]): Promise<R[]> {
    return this.read(async () => (await this.pool.execute<R[]>({ sql, timeout: this.queryTimeoutMs }, params))[0]);
  }

  private read<T>(run: () => Promise<T>): Promise<T> {
    return guardedRead(this.closed, run);
  }
}

/** True when the connection can carry no further statement: it broke, or a statement timed out on it. */
function isConnectionLost(err: unknown): boolean {
  const e = err as { fatal?: unknown; code?: unknown } | null;
  return e?.fatal === true || e?.code === 'PROTOCOL_SEQUENCE_TIMEOUT';
}
