import type { Pool } from 'mysql2/promise';
import type { Entity, Event } from '../../../core/model.js';
import type { EntityQuery, EventQuery } from '../../../core/ports/storage.js';
import { ENTITY_SHAPE, EVENT_SHAPE, type TableShape } from '../sql-tables.js';
import { compileFilter, compileOrder, MysqlParams } from './compile-filter.js';
import { type EntityRow, EVENT_COLUMNS, type EventRow, toEntity, toEvent } from './rows.js';

/**
 * The shared table shapes with MariaDB's identifier quoting: `key` is a reserved word, `values` names a
 * function, and the shared shapes quote with ANSI double quotes, which MariaDB reads as string literals
 * unless ANSI_QUOTES is set.
 */
function backticked(shape: TableShape): TableShape {
  const quote = (sql: string) => `\`${sql.replaceAll('"', '')}\``;
  return {
    columns: Object.fromEntries(
      Object.entries(shape.columns).map(([name, column]) => [name, { ...column, sql: quote(column.sql) }]),
    ),
    documents: Object.fromEntries(Object.entries(shape.documents).map(([name, sql]) => [name, quote(sql)])),
  };
}

const ENTITIES = backticked(ENTITY_SHAPE);
const EVENTS = backticked(EVENT_SHAPE);

/** Live entities of one domain and type; tombstones (deleted entities) never match. */
export async function searchEntities(pool: Pool, query: EntityQuery, timeoutMs: number): Promise<Entity[]> {
  const params = new MysqlParams();
  const where = [
    `\`domain\` = CAST(${params.bind(query.domain)} AS BINARY)`,
    `\`type\` = CAST(${params.bind(query.type)} AS BINARY)`,
    '`values` IS NOT NULL',
  ];
  if (query.filter) where.push(compileFilter(query.filter, ENTITIES, params));
  const order = compileOrder(query.sort, ENTITIES, params, '`key`');
  const sql =
    `SELECT \`key\`, \`version\`, \`values\` FROM \`entities\` WHERE ${where.join(' AND ')} ` +
    `ORDER BY ${order} ${page(query, params)}`;
  const [rows] = await pool.execute<EntityRow[]>({ sql, namedPlaceholders: true, timeout: timeoutMs }, params.values);
  return rows.map((row) => toEntity(query.domain, query.type, row));
}

/** Events of one domain and type, with inclusive time bounds and `after` on position. */
export async function searchEvents(pool: Pool, query: EventQuery, timeoutMs: number): Promise<Event[]> {
  const params = new MysqlParams();
  const where = [
    `\`domain\` = CAST(${params.bind(query.domain)} AS BINARY)`,
    `\`type\` = CAST(${params.bind(query.type)} AS BINARY)`,
  ];
  if (query.min !== undefined) where.push(`\`time\` >= CAST(${params.bind(query.min.toString())} AS SIGNED)`);
  if (query.max !== undefined) where.push(`\`time\` <= CAST(${params.bind(query.max.toString())} AS SIGNED)`);
  if (query.after !== undefined) {
    where.push(`\`position\` > CAST(${params.bind(Math.trunc(query.after).toString())} AS SIGNED)`);
  }
  if (query.filter) where.push(compileFilter(query.filter, EVENTS, params));
  const order = compileOrder(query.sort, EVENTS, params, '`position`');
  const sql =
    `SELECT ${EVENT_COLUMNS} FROM \`events\` WHERE ${where.join(' AND ')} ` +
    `ORDER BY ${order} ${page(query, params)}`;
  const [rows] = await pool.execute<EventRow[]>({ sql, namedPlaceholders: true, timeout: timeoutMs }, params.values);
  return rows.map(toEvent);
}

function page(query: { limit: number; offset: number }, params: MysqlParams): string {
  const limit = Math.max(0, Math.trunc(query.limit)).toString();
  const offset = Math.max(0, Math.trunc(query.offset)).toString();
  return `LIMIT ${params.bind(limit)} OFFSET ${params.bind(offset)}`;
}
