import type { Collection, IndexDescription } from 'mongodb';
import type { EventDoc } from './documents.js';

/** The indexes of `events`, besides `_id` (entity, version: the compare-and-set on the version, G3). */
const EVENT_INDEXES: IndexDescription[] = [
  // The unique position is what orders the log (G4), the unique id what refuses a reused event id.
  { key: { position: 1 }, name: 'position', unique: true },
  { key: { id: 1 }, name: 'id', unique: true },
  // Time travel (getEventAt), entity and event search by type, `after` paging, time bounds.
  { key: { domain: 1, type: 1, key: 1, time: 1 }, name: 'entity_time' },
  { key: { domain: 1, type: 1, position: 1 }, name: 'type_position' },
  { key: { domain: 1, type: 1, time: 1 }, name: 'type_time' },
];

/**
 * Creates the indexes that do not exist yet. Only the missing ones, because FerretDB 1.24 drops the
 * connection (a server panic) when createIndexes names an index that already exists; an instance that
 * starts together with another may still lose that race once, so it looks again and retries.
 */
export async function ensureIndexes(collection: Collection<EventDoc>, wanted = EVENT_INDEXES): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const existing = await indexNames(collection);
      const missing = wanted.filter((index) => !existing.includes(index.name!));
      if (missing.length > 0) await collection.createIndexes(missing);
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

async function indexNames(collection: Collection<EventDoc>): Promise<string[]> {
  try {
    return (await collection.listIndexes().toArray()).map((index) => String(index.name));
  } catch (err) {
    // NamespaceNotFound: a collection that does not exist yet has no indexes.
    if ((err as { code?: unknown }).code === 26) return [];
    throw err;
  }
}
