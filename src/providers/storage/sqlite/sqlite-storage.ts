import type Database from 'better-sqlite3';
import { StategateError, unavailable } from '../../../core/errors.js';
import type { Entity, EntityKey, Event, EventRef, TypeCount } from '../../../core/model.js';
import { type Logger, silentLogger } from '../../../core/ports/logger.js';
import type { EntityQuery, EventQuery, StorageProvider, TypeQuery, WriteIntent } from '../../../core/ports/storage.js';
import type { TriggerStore } from '../../../core/ports/trigger-store.js';
import { openDatabase } from './database.js';
import { GroupCommitter } from './group-commit.js';
import { createTypeLister } from './list-types.js';
import { type EntityRow, EVENT_COLUMNS, type EventRow, keyParams, toEntity, toEvent } from './rows.js';
import { SqliteSearch } from './search.js';
import { createSqliteTriggerStore } from './trigger-store.js';
import { createBatchWriter } from './write-batch.js';

export interface SqliteStorageOptions {
  /** A file path (its parent directory is created if missing) or `:memory:`. */
  path: string;
  /** Where migrations, batch failures and (at debug) batch sizes are logged; pino fits. Default: silent. */
  logger?: Logger;
  /** How long a statement waits for a lock held by another connection before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Most intents committed in one transaction; bounds how long one flush blocks the event loop. Default 512. */
  maxBatch?: number;
}

/**
 * The embedded storage provider (the default): one SQLite file, written by this process through one
 * connection with group commit, durable at every acknowledged append (WAL, synchronous=FULL).
 * Opening runs pending schema migrations; a database from a newer build is refused.
 */
export function createSqliteStorage(options: SqliteStorageOptions): StorageProvider {
  const logger = options.logger ?? silentLogger;
  const db = openDatabase({ path: options.path, busyTimeoutMs: options.busyTimeoutMs ?? 5000, logger });
  return new SqliteStorage(db, options.maxBatch ?? 512, logger);
}

/** Keys per getEntities query: bounds the JSON argument and the rows one query materialises. */
const GET_MANY_CHUNK = 1000;

class SqliteStorage implements StorageProvider {
  readonly name = 'sqlite';
  private readonly writer: GroupCommitter<WriteIntent, Event>;
  private readonly search: SqliteSearch;
  private readonly statements: ReturnType<typeof prepareReads>;
  private readonly types: ReturnType<typeof createTypeLister>;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    maxBatch: number,
    logger: Logger,
  ) {
    this.writer = new GroupCommitter(createBatchWriter(db), maxBatch, logger);
    this.search = new SqliteSearch(db);
    this.statements = prepareReads(db);
    this.types = createTypeLister(db);
  }

  append(intent: WriteIntent): Promise<Event> {
    return this.writer.submit(intent);
  }

  async getEntity(key: EntityKey): Promise<Entity | null> {
    return this.read(() => {
      const row = this.statements.entity.get(...keyParams(key));
      return row ? toEntity(key.domain, key.type, row) : null;
    });
  }

  async getEntities(keys: readonly EntityKey[]): Promise<(Entity | null)[]> {
    return this.read(() => {
      const results: (Entity | null)[] = new Array(keys.length).fill(null);
      for (let start = 0; start < keys.length; start += GET_MANY_CHUNK) {
        const chunk = keys.slice(start, start + GET_MANY_CHUNK);
        // One bound JSON array per chunk, joined to the primary key: one statement for any batch size.
        const rows = this.statements.entities.all(JSON.stringify(chunk.map((k) => keyParams(k))));
        for (const row of rows) {
          const index = start + Number(row.idx);
          const key = keys[index]!;
          results[index] = toEntity(key.domain, key.type, row);
        }
      }
      return results;
    });
  }

  async getEventByVersion(key: EntityKey, version: number): Promise<Event | null> {
    return this.read(() => {
      if (!Number.isSafeInteger(version)) return null;
      const row = this.statements.eventByVersion.get(...keyParams(key), BigInt(version));
      return row ? toEvent(row) : null;
    });
  }

  async getEventAt(key: EntityKey, at: bigint): Promise<Event | null> {
    return this.read(() => {
      const row = this.statements.eventAt.get(...keyParams(key), at);
      return row ? toEvent(row) : null;
    });
  }

  async getEvent(ref: EventRef): Promise<Event | null> {
    return this.read(() => {
      const row = this.statements.event.get(ref.id, ...keyParams(ref));
      return row ? toEvent(row) : null;
    });
  }

  async searchEntities(query: EntityQuery): Promise<Entity[]> {
    return this.read(() => this.search.entities(query));
  }

  async searchEvents(query: EventQuery): Promise<Event[]> {
    return this.read(() => this.search.events(query));
  }

  async listTypes(query: TypeQuery): Promise<TypeCount[]> {
    return this.read(() => this.types(query));
  }

  async readLog(after: number, limit: number): Promise<Event[]> {
    return this.read(() =>
      this.statements.log.all(BigInt(Math.trunc(after)), BigInt(Math.max(0, Math.trunc(limit)))).map(toEvent),
    );
  }

  async headPosition(): Promise<number> {
    return this.read(() => Number(this.statements.headPosition.get()?.position ?? 0n));
  }

  /** Triggers, their cursors and dead letters in this same file (core/ports/trigger-store.ts). */
  triggerStore(): TriggerStore {
    return createSqliteTriggerStore(this.db, () => this.closed);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Commit what callers are already waiting for, then let go of the file.
    this.writer.close();
    this.db.close();
  }

  /**
   * Runs a read. The connection is used by one thing at a time (calls are synchronous), so a read never
   * sees a batch half-applied: it sees everything committed before it and nothing else.
   */
  private read<T>(run: () => T): T {
    if (this.closed) throw unavailable('storage is closed');
    try {
      return run();
    } catch (err) {
      if (err instanceof StategateError) throw err;
      throw unavailable('storage read failed', err);
    }
  }
}

/** Every fixed read statement, prepared once at open. */
function prepareReads(db: Database.Database) {
  type Key = [string, string, string];
  return {
    entity: db.prepare<Key, EntityRow>(
      'SELECT key, version, "values" FROM entities WHERE domain = ? AND type = ? AND key = ? AND "values" IS NOT NULL',
    ),
    entities: db.prepare<[string], EntityRow & { idx: bigint }>(
      `SELECT j.key AS idx, e.key, e.version, e."values"
       FROM json_each(?) AS j
       JOIN entities AS e
         ON e.domain = j.value ->> 0 AND e.type = j.value ->> 1 AND e.key = j.value ->> 2
       WHERE e."values" IS NOT NULL`,
    ),
    eventByVersion: db.prepare<[...Key, bigint], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE domain = ? AND type = ? AND key = ? AND version = ?`,
    ),
    eventAt: db.prepare<[...Key, bigint], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE domain = ? AND type = ? AND key = ? AND time <= ?
       ORDER BY time DESC, position DESC LIMIT 1`,
    ),
    event: db.prepare<[string, ...Key], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE id = ? AND domain = ? AND type = ? AND key = ?`,
    ),
    log: db.prepare<[bigint, bigint], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
    ),
    headPosition: db.prepare<[], { position: bigint | null }>('SELECT MAX(position) AS position FROM events'),
  };
}
