import type Database from 'better-sqlite3';
import type { Entity, Event } from '../../../core/model.js';
import type { EntityQuery, EventQuery } from '../../../core/ports/storage.js';
import { ENTITY_SHAPE, EVENT_SHAPE } from '../sql-tables.js';
import { compileFilter, compileOrder, SqlParams } from './compile-filter.js';
import { type EntityRow, EVENT_COLUMNS, type EventRow, toEntity, toEvent } from './rows.js';

/** Enough distinct query shapes for any real client mix; beyond it the least recently used is dropped. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Entity and event search. The SQL text depends only on the shape of a query (which operators on which
 * fields, how many `$in` values), never on its literals, so prepared statements are cached by SQL text.
 */
export class SqliteSearch {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  /** Live entities of one domain and type; tombstones (deleted entities) never match. */
  entities(query: EntityQuery): Entity[] {
    const params = new SqlParams();
    const where = ['domain = @domain', 'type = @type', '"values" IS NOT NULL'];
    if (query.filter) where.push(compileFilter(query.filter, ENTITY_SHAPE, params));
    const order = compileOrder(query.sort, ENTITY_SHAPE, params, 'key');
    const sql =
      `SELECT key, version, "values" FROM entities WHERE ${where.join(' AND ')} ` +
      `ORDER BY ${order} LIMIT @limit OFFSET @offset`;
    const rows = this.statement(sql).all({ ...params.values, ...page(query) }) as EntityRow[];
    return rows.map((row) => toEntity(query.domain, query.type, row));
  }

  /** Events of one domain and type, with inclusive time bounds and `after` on position. */
  events(query: EventQuery): Event[] {
    const params = new SqlParams();
    const where = ['domain = @domain', 'type = @type'];
    const bounds: Record<string, bigint> = {};
    if (query.min !== undefined) {
      where.push('time >= @min');
      bounds.min = query.min;
    }
    if (query.max !== undefined) {
      where.push('time <= @max');
      bounds.max = query.max;
    }
    if (query.after !== undefined) {
      where.push('position > @after');
      bounds.after = BigInt(Math.trunc(query.after));
    }
    if (query.filter) where.push(compileFilter(query.filter, EVENT_SHAPE, params));
    const order = compileOrder(query.sort, EVENT_SHAPE, params, 'position');
    const sql =
      `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(' AND ')} ` +
      `ORDER BY ${order} LIMIT @limit OFFSET @offset`;
    const rows = this.statement(sql).all({ ...params.values, ...bounds, ...page(query) }) as EventRow[];
    return rows.map(toEvent);
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement) {
      // Re-insert to mark it most recently used (a Map iterates in insertion order).
      this.statements.delete(sql);
    } else {
      statement = this.db.prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE_SIZE) {
        const oldest = this.statements.keys().next().value;
        if (oldest !== undefined) this.statements.delete(oldest);
      }
    }
    this.statements.set(sql, statement);
    return statement;
  }
}

/** Domain, type and paging, bound as integers (SQLite wants integral LIMIT/OFFSET). */
function page(query: { domain: string; type: string; limit: number; offset: number }) {
  return {
    domain: query.domain,
    type: query.type,
    limit: BigInt(Math.max(0, Math.trunc(query.limit))),
    offset: BigInt(Math.max(0, Math.trunc(query.offset))),
  };
}
