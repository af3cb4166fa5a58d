import type { Filter } from '../../../core/filter/ast.js';
import type { Entity, Event } from '../../../core/model.js';
import type { EntityQuery, EventQuery, TypeQuery } from '../../../core/ports/storage.js';
// The sqlite compiler's filter and sort semantics, evaluated in process: shared with the mongo provider (G10).
import { comparator, compareCodePoints, matches, type Searchable } from '../mongo/evaluate-filter.js';
import type { LedgerReader } from './ledger-reader.js';
import { entityRange, HEAD, TYPE_INDEX, toEntity, toEvent, typeId } from './rows.js';

/*
 * Search: Cassandra narrows the rows to one domain and type (a clustering range of the ledger partition:
 * the heads for entities, the type-index copies for events, from `after` on); every filter and sort is
 * then decided by the shared evaluator, which has sqlite's semantics (G10). CQL's own comparisons differ
 * from them, so none is pushed down. Entities come from their head rows, written in the same batch as
 * their events, so search never disagrees with Get (G1).
 */

/** A type's type-count, as listTypes answers it (the port's TypeCount). */
export interface TypeCountRow {
  domain: string;
  type: string;
  count: number;
}

export async function searchEntities(ledger: LedgerReader, query: EntityQuery): Promise<Entity[]> {
  const [from, to] = entityRange(query.domain, query.type);
  const rows = await ledger.all(
    `SELECT domain, etype, ekey, version, state, deleted FROM ${ledger.table}
     WHERE shard = 0 AND pos = ? AND entity >= ? AND entity < ?`,
    [HEAD, from, to],
  );
  const items: { entity: Entity; searchable: Searchable }[] = [];
  for (const row of rows) {
    const entity = toEntity(row);
    if (entity)
      items.push({ entity, searchable: { columns: { key: entity.key }, documents: { values: entity.values } } });
  }
  return page(items, query, comparator(query.sort, 'key')).map((item) => item.entity);
}

export async function searchEvents(ledger: LedgerReader, query: EventQuery): Promise<Event[]> {
  const after = BigInt(Math.max(0, Math.trunc(query.after ?? 0)));
  const rows = await ledger.all(
    `SELECT seq, id, domain, etype, ekey, version, method, etime, claims, state FROM ${ledger.table}
     WHERE shard = 0 AND pos = ? AND entity = ? AND seq > ?`,
    [TYPE_INDEX, typeId(query.domain, query.type), after],
  );
  const items: { event: Event; searchable: Searchable }[] = [];
  for (const row of rows) {
    const event = toEvent(row, row.seq as bigint);
    if (query.min !== undefined && event.time < query.min) continue;
    if (query.max !== undefined && event.time > query.max) continue;
    const searchable: Searchable = {
      columns: {
        key: event.entity.key,
        id: event.id,
        method: event.method,
        time: event.time,
        version: event.entity.version,
        position: event.position,
      },
      documents: { values: event.entity.values, claims: event.claims },
    };
    items.push({ event, searchable });
  }
  return page(items, query, comparator(query.sort, 'position')).map((item) => item.event);
}

/** Live entities per domain and type, from the head rows (of one domain, when it is named). */
export async function listTypes(ledger: LedgerReader, query: TypeQuery): Promise<TypeCountRow[]> {
  const rows =
    query.domain === null
      ? await ledger.all(`SELECT domain, etype, deleted FROM ${ledger.table} WHERE shard = 0 AND pos = ?`, [HEAD])
      : await ledger.all(
          `SELECT domain, etype, deleted FROM ${ledger.table} WHERE shard = 0 AND pos = ? AND entity >= ? AND entity < ?`,
          [HEAD, ...domainRange(query.domain)],
        );
  const counts = new Map<string, TypeCountRow>();
  for (const row of rows) {
    if (row.deleted) continue;
    const id = typeId(row.domain as string, row.etype as string);
    const pair = counts.get(id) ?? { domain: row.domain as string, type: row.etype as string, count: 0 };
    pair.count += 1;
    counts.set(id, pair);
  }
  const ordered = [...counts.values()].sort(
    (a, b) => compareCodePoints(a.domain, b.domain) || compareCodePoints(a.type, b.type),
  );
  const offset = Math.max(0, Math.trunc(query.offset));
  return ordered.slice(offset, offset + Math.max(0, Math.trunc(query.limit)));
}

/** The heads of one domain: ids start with `["domain",`. */
function domainRange(domain: string): [string, string] {
  const prefix = `${JSON.stringify([domain]).slice(0, -1)},`;
  return [prefix, `${prefix.slice(0, -1)}-`];
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
