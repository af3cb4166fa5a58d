import type { Entity, Event, JsonObject } from '../../../core/model.js';
import type { EntityHead } from '../../../core/ports/storage.js';

/*
 * Row shapes as node-postgres returns them: int8 (bigint) arrives as a decimal string, which keeps
 * nanosecond times exact; jsonb arrives parsed. Versions and positions become numbers, times bigints.
 */

export interface HeadRow {
  version: string;
  values: JsonObject | null;
  time: string;
}

export interface EntityRow {
  key: string;
  version: string;
  values: JsonObject;
}

export interface EventRow {
  position: string;
  id: string;
  domain: string;
  type: string;
  key: string;
  version: string;
  method: string;
  claims: JsonObject;
  values: JsonObject;
  time: string;
}

/** The columns of EventRow, in the order every event query selects them. */
export const EVENT_COLUMNS = 'position, id, domain, type, key, version, method, claims, "values", time';

export function toHead(row: HeadRow): EntityHead {
  return { version: Number(row.version), values: row.values, time: BigInt(row.time) };
}

export function toEntity(domain: string, type: string, row: EntityRow): Entity {
  return { domain, type, key: row.key, values: row.values, version: Number(row.version) };
}

export function toEvent(row: EventRow): Event {
  return {
    id: row.id,
    entity: { domain: row.domain, type: row.type, key: row.key, values: row.values, version: Number(row.version) },
    claims: row.claims,
    time: BigInt(row.time),
    method: row.method,
    position: Number(row.position),
  };
}
