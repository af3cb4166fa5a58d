import type { Collection } from 'mongodb';
import type { EntityKey } from '../../../core/model.js';
import { type EventDoc, entityKey, eventKey } from './documents.js';

/** Entities whose latest event this instance remembers; beyond it, it forgets them all and starts again. */
const MAX_REMEMBERED = 10_000;

/**
 * Finds an entity's latest event by point reads on `_id` (entity, version), never by a scan: versions are
 * consecutive from 1 (G2), so "the latest" is the last version that exists, found by galloping up from a
 * remembered version and then bisecting. A remembered version is only a hint: it is always verified (it
 * exists, the next one does not), so another instance's writes are never missed. Usually one round trip.
 *
 * Writers may plan from the remembered event without reading (`remembered`): if another instance wrote
 * the entity since, the insert of the same `_id` fails and the writer plans again from a fresh read.
 */
export class LatestVersions {
  private readonly known = new Map<string, EventDoc>();

  /** The entity's latest event as this instance last saw it (maybe stale), if it remembers one. */
  remembered(key: EntityKey): EventDoc | undefined {
    return this.known.get(entityKey(key));
  }

  /** The entity's latest event, or null when it has none. */
  async latest(events: Collection<EventDoc>, key: EntityKey): Promise<EventDoc | null> {
    const id = entityKey(key);
    const get = (version: number) => events.findOne({ _id: eventKey(key, version) }, { useBigInt64: true });
    let low = 0;
    let lowDoc: EventDoc | null = null;
    let high: number | null = null;

    const hint = this.known.get(id)?.version ?? 0;
    if (hint > 0) {
      const [at, next] = await Promise.all([get(hint), get(hint + 1)]);
      if (at && !next) return this.remember(id, at);
      if (at) {
        low = hint + 1;
        lowDoc = next;
      }
      // No event at the hint: the store was emptied behind our back; search from the start.
    }
    // Gallop: low exists (or is 0); double the step until a version is missing.
    for (let step = 1; high === null; step *= 2) {
      const doc = await get(low + step);
      if (doc) {
        low += step;
        lowDoc = doc;
      } else {
        high = low + step;
      }
    }
    // Bisect: low exists (or is 0), high does not.
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      const doc = await get(middle);
      if (doc) {
        low = middle;
        lowDoc = doc;
      } else {
        high = middle;
      }
    }
    return lowDoc ? this.remember(id, lowDoc) : null;
  }

  /** Notes a version known to exist (an event this instance just committed or read). */
  remember(id: string, doc: EventDoc): EventDoc {
    if (this.known.size >= MAX_REMEMBERED) this.known.clear();
    if ((this.known.get(id)?.version ?? 0) < doc.version) this.known.set(id, doc);
    return doc;
  }
}
