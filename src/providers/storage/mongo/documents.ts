import { Long } from 'mongodb';
import type { Entity, EntityKey, Event, JsonObject } from '../../../core/model.js';
import type { EntityHead } from '../../../core/ports/storage.js';

/*
 * The one collection, `events`, and its mapping to the model.
 *
 * - `values` and `claims` are stored as JSON text, exactly as the sqlite provider stores them: JSON object
 *   keys may be anything (`$x`, `a.b`, "" …), which BSON field names cannot all hold, and the text is what
 *   the filter evaluator and the sort by compact JSON text need. Filters run in the provider (search.ts).
 * - `_id` is the string (domain, type, key, version): unique, so it is the compare-and-set on the version
 *   (G3). FerretDB 1.24 pushes down no other condition, but even that one scans the table (heads.ts), so
 *   Get and search read the small `heads` collection instead; the events are read by `_id` only when a
 *   head may be behind (latest-version.ts).
 * - Times are int64 (Long), read back as bigint; versions and positions are plain numbers.
 */
export interface EventDoc {
  _id: string;
  /** The event's uuid; unique. */
  id: string;
  domain: string;
  type: string;
  key: string;
  version: number;
  /** Unique and dense (1, 2, 3, … without holes): see mongo-storage.ts on how it is drawn. */
  position: number;
  method: string;
  time: bigint | Long;
  claims: string;
  /** The entity after the change; for a deletion, the state before it. */
  values: string;
  /** True for a deletion: the entity is not live after this event. */
  deleted: boolean;
}

/** What an entity's latest event (or its head document, heads.ts) says about the entity. */
export type StateDoc = Pick<EventDoc, 'domain' | 'type' | 'key' | 'version' | 'values' | 'deleted' | 'time'>;

/** `_id` of an entity's event at `version`: JSON of the parts, so no two entities or versions can collide. */
export function eventKey(key: EntityKey, version: number): string {
  return JSON.stringify([key.domain, key.type, key.key, version]);
}

/** Identifies an entity in maps: JSON of its parts. */
export function entityKey(key: EntityKey): string {
  return JSON.stringify([key.domain, key.type, key.key]);
}

export function toLong(value: bigint): Long {
  return Long.fromBigInt(value);
}

export function toBigInt(value: bigint | Long | number): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  return value.toBigInt();
}

export function toEvent(doc: EventDoc): Event {
  return {
    id: doc.id,
    entity: {
      domain: doc.domain,
      type: doc.type,
      key: doc.key,
      values: parseObject(doc.values),
      version: Number(doc.version),
    },
    claims: parseObject(doc.claims),
    time: toBigInt(doc.time),
    method: doc.method,
    position: Number(doc.position),
  };
}

/** The head that an entity's latest event implies (values null after a deletion). */
export function headOfEvent(doc: StateDoc): EntityHead {
  return {
    version: Number(doc.version),
    values: doc.deleted ? null : parseObject(doc.values),
    time: toBigInt(doc.time),
  };
}

/** The live entity an entity's latest event implies, or null when it was a deletion. */
export function entityOfEvent(doc: StateDoc): Entity | null {
  if (doc.deleted) return null;
  return {
    domain: doc.domain,
    type: doc.type,
    key: doc.key,
    values: parseObject(doc.values),
    version: Number(doc.version),
  };
}

export function parseObject(text: string): JsonObject {
  return JSON.parse(text) as JsonObject;
}
