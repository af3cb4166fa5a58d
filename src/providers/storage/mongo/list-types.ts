import type { Collection } from 'mongodb';
import type { TypeCount } from '../../../core/model.js';
import type { TypeQuery } from '../../../core/ports/storage.js';
import { type EventDoc, entityKey } from './documents.js';
import { compareCodePoints } from './evaluate-filter.js';

/**
 * ListTypes from the log, as entity search finds entities (search.ts): an entity is live when its latest
 * event is not a deletion. It reads only the names, version and deletion flag of each event (of one domain
 * when given), and orders in code point order as the SQL providers do (G10).
 */
export async function listTypes(events: Collection<EventDoc>, query: TypeQuery): Promise<TypeCount[]> {
  const where = query.domain === null ? {} : { domain: query.domain };
  const projection = { _id: 0, domain: 1, type: 1, key: 1, version: 1, deleted: 1 };
  const latest = new Map<string, Pick<EventDoc, 'domain' | 'type' | 'version' | 'deleted'>>();
  for await (const doc of events.find(where, { projection })) {
    const id = entityKey(doc);
    const seen = latest.get(id);
    if (!seen || seen.version < doc.version) latest.set(id, doc);
  }
  const counts = new Map<string, TypeCount>();
  for (const doc of latest.values()) {
    if (doc.deleted) continue;
    const id = JSON.stringify([doc.domain, doc.type]);
    const pair = counts.get(id) ?? { domain: doc.domain, type: doc.type, count: 0 };
    pair.count += 1;
    counts.set(id, pair);
  }
  const ordered = [...counts.values()].sort(
    (a, b) => compareCodePoints(a.domain, b.domain) || compareCodePoints(a.type, b.type),
  );
  return ordered.slice(query.offset, query.offset + query.limit);
}
