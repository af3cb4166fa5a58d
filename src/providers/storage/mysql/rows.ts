import type { RowDataPacket } from 'mysql2/promise';
import type { Entity, Event, JsonObject } from '../../../core/model.js';
import type { EntityHead } from '../../../core/ports/storage.js';

/*
 * Row shapes as mysql2 returns them with `bigNumberStrings`: BIGINT arrives as a decimal string, which keeps
 * nanosecond times exact; VARBINARY names arrive as Buffers of UTF-8; JSON documents as their text
 * (`jsonStrings`), parsed here exactly as the other providers parse theirs.
 * Versions and positions become numbers, times bigints.
 */

type Name = Buffer | string;

export interface HeadRow extends RowDataPacket {
  version: string;
  values: string | null;
  time: string;
}

export interface EntityRow extends RowDataPacket {
  key: Name;
  version: string;
  values: string;
}

export interface EventRow extends RowDataPacket {
  position: string;
  id: Name;
  domain: Name;
  type: Name;
  key: Name;
  version: string;
  method: Name;
  claims: string;
  values: string;
  time: string;
}

/** The columns of EventRow, in the order every event query selects them. */
export const EVENT_COLUMNS =
  '`position`, `id`, `domain`, `type`, `key`, `version`, `method`, `claims`, `values`, `time`';

const text = (name: Name): string => (typeof name === 'string' ? name : name.toString('utf8'));
const json = (document: string): JsonObject => JSON.parse(document) as JsonObject;

export function toHead(row: HeadRow): EntityHead {
  return {
    version: Number(row.version),
    values: row.values === null ? null : json(row.values),
    time: BigInt(row.time),
  };
}

export function toEntity(domain: string, type: string, row: EntityRow): Entity {
  return { domain, type, key: text(row.key), values: json(row.values), version: Number(row.version) };
}

export function toEvent(row: EventRow): Event {
  return {
    id: text(row.id),
    entity: {
      domain: text(row.domain),
      type: text(row.type),
      key: text(row.key),
      values: json(row.values),
      version: Number(row.version),
    },
    claims: json(row.claims),
    time: BigInt(row.time),
    method: text(row.method),
    position: Number(row.position),
  };
}
