import type pg from 'pg';
import type { Entity, Event } from '../../../core/model.js';
import type { EntityQuery, EventQuery } from '../../../core/ports/storage.js';
import { ENTITY_SHAPE, EVENT_SHAPE } from '../sql-tables.js';
import { compileFilter, compileOrder, PgParams } from './compile-filter.js';
import { type EntityRow, EVENT_COLUMNS, type EventRow, toEntity, toEvent } from './rows.js';

/** Live entities of one domain and type; tombstones (deleted entities) never match. */
export async function searchEntities(pool: pg.Pool, query: EntityQuery): Promise<Entity[]> {
  const params = new PgParams();
  const where = [`domain = ${params.bind(query.domain)}`, `type = ${params.bind(query.type)}`, '"values" IS NOT NULL'];
  if (query.filter) where.push(compileFilter(query.filter, ENTITY_SHAPE, params));
  const order = compileOrder(query.sort, ENTITY_SHAPE, params, 'key');
  const sql =
    `SELECT key, version, "values" FROM entities WHERE ${where.join(' AND ')} ` +
    `ORDER BY ${order} ${page(query, params)}`;
  const { rows } = await pool.query<EntityRow>(sql, params.values);
  return rows.map((row) => toEntity(query.domain, query.type, row));
}

/** Events of one domain and type, with inclusive time bounds and `after` on position. */
export async function searchEvents(pool: pg.Pool, query: EventQuery): Promise<Event[]> {
  const params = new PgParams();
  const where = [`domain = ${params.bind(query.domain)}`, `type = ${params.bind(query.type)}`];
  if (query.min !== undefined) where.push(`time >= ${params.bind(query.min.toString())}::bigint`);
  if (query.max !== undefined) where.push(`time <= ${params.bind(query.max.toString())}::bigint`);
  if (query.after !== undefined) where.push(`position > ${params.bind(Math.trunc(query.after).toString())}::bigint`);
  if (query.filter) where.push(compileFilter(query.filter, EVENT_SHAPE, params));
  const order = compileOrder(query.sort, EVENT_SHAPE, params, 'position');
  const sql =
    `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(' AND ')} ` + `ORDER BY ${order} ${page(query, params)}`;
  const { rows } = await pool.query<EventRow>(sql, params.values);
  return rows.map(toEvent);
}

function page(query: { limit: number; offset: number }, params: PgParams): string {
  const limit = Math.max(0, Math.trunc(query.limit)).toString();
  const offset = Math.max(0, Math.trunc(query.offset)).toString();
  return `LIMIT ${params.bind(limit)}::bigint OFFSET ${params.bind(offset)}::bigint`;
}
