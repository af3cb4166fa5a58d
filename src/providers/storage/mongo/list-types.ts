import type { TypeCount } from '../../../core/model.js';
import type { TypeQuery } from '../../../core/ports/storage.js';
import type { EntityStates } from './entity-states.js';
import { compareCodePoints } from './evaluate-filter.js';

/**
 * ListTypes from the entities' exact latest states, the ones Get and search read (entity-states.ts: the
 * heads, and the events of entities being written): an entity is live when its latest event is not a
 * deletion. Ordered in code point order as the SQL providers do (G10).
 */
export async function listTypes(states: EntityStates, query: TypeQuery): Promise<TypeCount[]> {
  const latest = await states.all(query.domain);
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
