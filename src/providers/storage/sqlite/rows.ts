import type { Entity, EntityKey, Event, JsonObject } from '../../../core/model.js';
import type { EntityHead } from '../../../core/ports/storage.js';

/*
 * Row shapes as better-sqlite3 returns them with safe integers on: every INTEGER is a bigint. Times stay
 * bigint (nanoseconds exceed 2^53); versions and positions become numbers, as the model wants.
 */

export interface HeadRow {
  version: bigint;
  values: string | null;
  time: bigint;
}

export interface EntityRow {
  key: string;
  version: bigint;
  values: string;
}

export interface EventRow {
  position: bigint;
  id: string;
  domain: string;
  type: string;
  key: string;
  version: bigint;
  method: string;
  claims: string;
  values: string;
  time: bigint;
}

/** The columns of EventRow, in the order every event query selects them. */
export const EVENT_COLUMNS = 'position, id, domain, type, key, version, method, claims, "values", time';

export function toHead(row: HeadRow): EntityHead {
  return { version: Number(row.version), values: row.values === null ? null : parseObject(row.values), time: row.time };
}

export function toEntity(domain: string, type: string, row: EntityRow): Entity {
  return { domain, type, key: row.key, values: parseObject(row.values), version: Number(row.version) };
}

export function toEvent(row: EventRow): Event {
  return {
    id: row.id,
    entity: {
      domain: row.domain,
      type: row.type,
      key: row.key,
      values: parseObject(row.values),
      version: Number(row.version),
    },
    claims: parseObject(row.claims),
    time: row.time,
    method: row.method,
    position: Number(row.position),
  };
}

/** The entity key of a row-producing query's parameters, in the column order the statements use. */
export function keyParams(key: EntityKey): [string, string, string] {
  return [key.domain, key.type, key.key];
}

function parseObject(text: string): JsonObject {
  return JSON.parse(text) as JsonObject;
}
