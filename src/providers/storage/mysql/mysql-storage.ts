import mysql, { type Pool, type PoolConnection, type ResultSetHeader, type RowDataPacket } from 'mysql2/promise';
import { alreadyExists, invalid, StategateError, unavailable } from '../../../core/errors.js';
import type { Entity, EntityKey, Event, EventRef } from '../../../core/model.js';
import { type Logger, silentLogger } from '../../../core/ports/logger.js';
import type { EntityQuery, EventQuery, StorageProvider, WriteIntent } from '../../../core/ports/storage.js';
import { planWrite } from '../../../core/write-plan.js';
import { migrate } from './migrations.js';
import { type EntityRow, EVENT_COLUMNS, type EventRow, type HeadRow, toEntity, toEvent, toHead } from './rows.js';
import { searchEntities, searchEvents } from './search.js';
import { checkServer } from './server-check.js';

export interface MysqlStorageOptions {
  /** `mysql://user:password@host:port/database` */
  url: string;
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  /** Where migrations are logged; pino fits. Default: silent. */
  logger?: Logger;
  /** How long connecting may take before the operation fails with UNAVAILABLE. Default 5000 ms. */
  connectTimeoutMs?: number;
}

/**
 * Prepared statements each connection keeps (least recently used are closed). Searches generate many
 * statement shapes; MariaDB caps prepared statements server-wide (max_prepared_stmt_count, 16382 by
 * default), so each connection keeps few.
 */
const PREPARED_STATEMENTS_PER_CONNECTION = 128;

/** Attempts of one append that InnoDB chose as a deadlock victim (it rolled the whole transaction back). */
const DEADLOCK_ATTEMPTS = 3;

/** Keys per getEntities query. */
const GET_MANY_CHUNK = 1000;

/** The longest name the schema stores (VARBINARY(768)); a longer one cannot exist. */
const MAX_NAME_BYTES = 768;

/**
 * MariaDB storage (the `mysql` provider). Opening connects, refuses a server that would weaken a guarantee
 * (server-check.ts), runs pending migrations (schema_migrations) and refuses a database from a newer build;
 * a server that cannot be reached fails the start with UNAVAILABLE, naming the address (password masked).
 *
 * Appends of one provider instance run one at a time in submission order, each in its own transaction;
 * so, within one instance, an intent sees the effect of the intents submitted before it and positions
 * follow submission order (as on sqlite). Instances sharing a database run concurrently, ordered by the
 * row lock on the entity's head (G3) and the row lock on `log_head` (G4).
 */
export async function createMysqlStorage(options: MysqlStorageOptions): Promise<StorageProvider> {
  const logger = options.logger ?? silentLogger;
  const pool = mysql.createPool({
    uri: options.url,
    connectionLimit: options.poolSize ?? 10,
    connectTimeout: options.connectTimeoutMs ?? 5000,
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
    throw unavailable(`cannot connect to mysql at ${redact(options.url)}: ${(err as Error).message}`, err);
  }
  try {
    const server = await checkServer(connection);
    const schemaVersion = await migrate(connection, logger);
    logger.info({ url: redact(options.url), server: server.version, schemaVersion }, 'mysql storage open');
  } catch (err) {
    connection.destroy();
    await pool.end().catch(() => undefined);
    const where = `mysql at ${redact(options.url)}`;
    if (err instanceof StategateError) throw new StategateError(err.code, `${where}: ${err.message}`, { cause: err });
    throw unavailable(`${where}: migration failed: ${(err as Error).message}`, err);
  }
  connection.release();
  return new MysqlStorage(pool);
}

class MysqlStorage implements StorageProvider {
  readonly name = 'mysql';
  private closed = false;
  /** The last append in flight: the next one starts after it settles (submission order). */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly pool: Pool) {}

  append(intent: WriteIntent): Promise<Event> {
    if (this.closed) return Promise.reject(unavailable('storage is closed'));
    const run = this.tail.then(() => this.appendNow(intent));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async appendNow(intent: WriteIntent): Promise<Event> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transaction(intent);
      } catch (err) {
        if (err instanceof StategateError) throw err;
        if (errno(err) === ER_LOCK_DEADLOCK && attempt < DEADLOCK_ATTEMPTS) continue;
        throw mapWriteError(err);
      }
    }
  }

  /** One attempt: BEGIN, apply, COMMIT. A connection that failed is destroyed, never reused. */
  private async transaction(intent: WriteIntent): Promise<Event> {
    const connection = await this.connect();
    let broken = false;
    try {
      await connection.query('START TRANSACTION');
      try {
        const event = await this.applyIntent(connection, intent);
        await connection.query('COMMIT');
        return event;
      } catch (err) {
        await connection.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw err;
      }
    } catch (err) {
      if ((err as { fatal?: unknown } | null)?.fatal === true) broken = true;
      throw err;
    } finally {
      if (broken) connection.destroy();
      else connection.release();
    }
  }

  private async applyIntent(connection: PoolConnection, intent: WriteIntent): Promise<Event> {
    const { domain, type, key } = intent.target;
    // Make sure a head row exists (a placeholder at version 0, rolled back with a refused intent) and lock
    // it: ON DUPLICATE KEY takes the existing row's exclusive lock at once (a plain INSERT IGNORE would take a
    // shared one, and two writers upgrading shared locks deadlock). Writers of one entity queue here.
    await connection.execute(
      `INSERT INTO \`entities\` (\`domain\`, \`type\`, \`key\`, \`version\`, \`values\`, \`time\`)
       VALUES (?, ?, ?, 0, NULL, 0) ON DUPLICATE KEY UPDATE \`version\` = \`version\``,
      [domain, type, key],
    );
    const [rows] = await connection.execute<HeadRow[]>(
      'SELECT `version`, `values`, `time` FROM `entities` WHERE `domain` = ? AND `type` = ? AND `key` = ? FOR UPDATE',
      [domain, type, key],
    );
    const row = rows[0];
    const head = row && Number(row.version) > 0 ? toHead(row) : null;

    let plan: ReturnType<typeof planWrite>;
    let headJson: string | null;
    let claimsJson: string;
    let valuesJson: string;
    try {
      plan = planWrite(intent, head);
      headJson = plan.head.values === null ? null : JSON.stringify(plan.head.values);
      claimsJson = JSON.stringify(plan.event.claims);
      valuesJson =
        plan.event.entity.values === plan.head.values && headJson !== null
          ? headJson
          : JSON.stringify(plan.event.entity.values);
    } catch (err) {
      // `next` and what it returns are the caller's: a non-StategateError is a bug upstream (INTERNAL).
      throw StategateError.from(err);
    }

    await connection.execute(
      'UPDATE `entities` SET `version` = ?, `values` = ?, `time` = ? WHERE `domain` = ? AND `type` = ? AND `key` = ?',
      [plan.head.version, headJson, plan.head.time.toString(), domain, type, key],
    );
    // G4: drawing the position locks the log head row until COMMIT, so positions are drawn in commit order
    // across every instance. LAST_INSERT_ID(expr) hands the new value back in the same round trip.
    const [drawn] = await connection.execute<ResultSetHeader>(
      'UPDATE `log_head` SET `position` = LAST_INSERT_ID(`position` + 1) WHERE `id` = 1',
    );
    const position = Number(drawn.insertId);
    const { event } = plan;
    await connection.execute(`INSERT INTO \`events\` (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      position,
      event.id,
      domain,
      type,
      key,
      event.entity.version,
      event.method,
      claimsJson,
      valuesJson,
      event.time.toString(),
    ]);
    // Answer with what was stored (MariaDB keeps the JSON text verbatim), not the caller's objects: the
    // acknowledged event then equals what any later read returns, and no caller can mutate it afterwards.
    return {
      id: event.id,
      entity: { domain, type, key, values: JSON.parse(valuesJson), version: event.entity.version },
      claims: JSON.parse(claimsJson),
      time: event.time,
      method: event.method,
      position,
    };
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
    return this.read(() => searchEntities(this.pool, query));
  }

  async searchEvents(query: EventQuery): Promise<Event[]> {
    return this.read(() => searchEvents(this.pool, query));
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Commit what callers are already waiting for, then let go of the connections.
    await this.tail;
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
    return this.read(async () => (await this.pool.execute<R[]>(sql, params))[0]);
  }

  private async read<T>(run: () => Promise<T>): Promise<T> {
    if (this.closed) throw unavailable('storage is closed');
    try {
      return await run();
    } catch (err) {
      if (err instanceof StategateError) throw err;
      throw unavailable('storage read failed', err);
    }
  }
}

// MariaDB error numbers (include/mysqld_error.h).
const ER_DUP_ENTRY = 1062;
const ER_LOCK_DEADLOCK = 1213;
const ER_DATA_TOO_LONG = 1406;

function errno(err: unknown): number | undefined {
  const value = (err as { errno?: unknown } | null)?.errno;
  return typeof value === 'number' ? value : undefined;
}

/** A failed append's driver error as a StategateError; anything unexpected is UNAVAILABLE (never acknowledged). */
function mapWriteError(err: unknown): StategateError {
  const message = (err as { message?: unknown } | null)?.message;
  const text = typeof message === 'string' ? message : String(err);
  if (errno(err) === ER_DUP_ENTRY && text.includes("'events_id'")) return alreadyExists('event id already exists');
  // Core bounds names to 256 characters, which always fit; refuse rather than report an outage if not.
  if (errno(err) === ER_DATA_TOO_LONG) return invalid(`a name is too long for mysql storage: ${text}`);
  return unavailable(`mysql write failed: ${text}`, err);
}

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable url)';
  }
}
