import type { Collection } from 'mongodb';
import type { Column, Filter, Scalar } from '../../../core/filter/ast.js';
import type { Entity, Event } from '../../../core/model.js';
import type { EntityQuery, EventQuery } from '../../../core/ports/storage.js';
import { type EventDoc, entityOfEvent, toBigInt, toEvent, toLong } from './documents.js';
import type { EntityStates } from './entity-states.js';
import { comparator, matches, type Searchable } from './evaluate-filter.js';

/*
 * Search: Mongo narrows the candidates (domain, type, time bounds, `after`, and exact equality on plain
 * columns), then every filter and sort is decided by evaluate-filter.ts, which has the sqlite compiler's
 * semantics (G10). Pushed-down conditions only ever select a superset of the answer, so the evaluator
 * stays the single source of truth.
 *
 * Entities are found through their exact latest states (entity-states.ts: the heads, and the events of
 * entities being written), the same Get reads, so search can never disagree with Get or lag behind a
 * commit (G1). A filter that pins `key` (equality or `in`) reads only those heads; otherwise all heads of
 * the domain and type are read (FerretDB 1.x scans the collection for any query anyway). Event search
 * reads the events of the domain and type.
 */

/** Document fields of the columns a pushed-down equality may name. */
const EVENT_FIELDS: Record<Column, string> = {
  key: 'key',
  id: 'id',
  method: 'method',
  time: 'time',
  version: 'version',
  position: 'position',
};

export async function searchEntities(states: EntityStates, query: EntityQuery): Promise<Entity[]> {
  const pinned = query.filter ? narrow(query.filter, { key: 'key' }).key : undefined;
  const keys = pinned === undefined ? null : typeof pinned === 'string' ? [pinned] : (pinned as { $in: string[] }).$in;
  const items: { entity: Entity; searchable: Searchable }[] = [];
  for (const doc of await states.ofType(query.domain, query.type, keys)) {
    const entity = entityOfEvent(doc);
    if (entity)
      items.push({ entity, searchable: { columns: { key: entity.key }, documents: { values: entity.values } } });
  }
  return page(items, query, comparator(query.sort, 'key')).map((item) => item.entity);
}

/** Events of one domain and type. */
export async function searchEvents(events: Collection<EventDoc>, query: EventQuery): Promise<Event[]> {
  const time: Record<string, unknown> = {};
  if (query.min !== undefined) time.$gte = toLong(query.min);
  if (query.max !== undefined) time.$lte = toLong(query.max);
  const where: Record<string, unknown> = {
    ...(query.filter ? narrow(query.filter, EVENT_FIELDS) : {}),
    domain: query.domain,
    type: query.type,
    ...(query.after !== undefined ? { position: { $gt: Math.trunc(query.after) } } : {}),
    ...(Object.keys(time).length > 0 ? { time } : {}),
  };
  const candidates = await events.find(where, { useBigInt64: true }).toArray();
  const items = candidates.map((doc) => {
    const event = toEvent(doc);
    const searchable: Searchable = {
      columns: {
        key: event.entity.key,
        id: event.id,
        method: event.method,
        time: toBigInt(doc.time),
        version: event.entity.version,
        position: event.position,
      },
      documents: { values: event.entity.values, claims: event.claims },
    };
    return { event, searchable };
  });
  return page(items, query, comparator(query.sort, 'position')).map((item) => item.event);
}

function page<T extends { searchable: Searchable }>(
  items: T[],
  query: { filter: Filter | null; limit: number; offset: number },
  order: (a: Searchable, b: Searchable) => number,
): T[] {
  const filter = query.filter;
  const found = filter ? items.filter((item) => matches(filter, item.searchable)) : items;
  found.sort((a, b) => order(a.searchable, b.searchable));
  const offset = Math.max(0, Math.trunc(query.offset));
  return found.slice(offset, offset + Math.max(0, Math.trunc(query.limit)));
}

/**
 * Exact conditions on plain columns that every match must meet: `$eq`/`$in` leaves of the top-level
 * `and`, with literals of the column's own type (a literal of another type matches nothing in sqlite; it
 * is left to the evaluator). A superset of the answer by construction.
 */
function narrow(filter: Filter, fields: Partial<Record<Column, string>>): Record<string, unknown> {
  const terms = filter.op === 'and' ? filter.filters : [filter];
  const where: Record<string, unknown> = {};
  for (const term of terms) {
    const list = term.op === 'eq' ? [term.value] : term.op === 'in' ? term.values : null;
    if (!list || !('field' in term) || term.field.kind !== 'column') continue;
    const column = term.field.column;
    const field = fields[column];
    if (!field || field in where) continue;
    const literals = list.map((v) => columnValue(column, v));
    if (literals.some((v) => v === undefined)) continue;
    where[field] = term.op === 'eq' ? literals[0] : { $in: literals };
  }
  return where;
}

function columnValue(column: Column, value: Scalar): unknown {
  if (column === 'key' || column === 'id' || column === 'method') return typeof value === 'string' ? value : undefined;
  if (column === 'time') return typeof value === 'bigint' ? toLong(value) : undefined;
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}
