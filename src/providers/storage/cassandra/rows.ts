import type cassandra from 'cassandra-driver';
import type { Entity, EntityKey, Event, JsonObject } from '../../../core/model.js';
import type { EntityHead } from '../../../core/ports/storage.js';

/*
 * The rows of the one `ledger` partition and their mapping to the model. The clustering key is
 * (pos, entity, seq); `pos` tells the kind of row:
 *
 *   pos  > 0   the event at log position `pos` (entity '', seq 0): the log, read in clustering order (G4)
 *   pos  = 0   the head of entity `entity` (its latest version and state; deleted after a deletion)
 *   pos  = -1  version `seq` of entity `entity`: `ref` = its event's position, `etime` its time
 *   pos  = -2  event id `entity`: `ref` = its position (claimed IF NOT EXISTS: ids are unique)
 *   pos  = -3  a copy of the event at position `seq`, under `entity` = its domain and type (search by type)
 *
 * `entity` is the JSON text of [domain, type, key] (or [domain, type]), so that no two keys collide and one
 * domain and type is a range of clustering keys. Values and claims are JSON text, exactly as sqlite stores
 * them; the search evaluator reads them (search.ts).
 */

export const HEAD = 0n;
export const VERSION_INDEX = -1n;
export const ID_INDEX = -2n;
export const TYPE_INDEX = -3n;

/** JSON of the entity's parts: the clustering `entity` of its head and version rows. */
export function entityId(key: EntityKey): string {
  return JSON.stringify([key.domain, key.type, key.key]);
}

/** JSON of a domain and type: the clustering `entity` of their type-index rows. */
export function typeId(domain: string, type: string): string {
  return JSON.stringify([domain, type]);
}

/**
 * The range of `entity` that holds exactly the keys of one domain and type: every id starts with
 * `["domain","type",` followed by the key's JSON string, and ',' + 1 is '-'.
 */
export function entityRange(domain: string, type: string): [string, string] {
  const prefix = `${JSON.stringify([domain, type]).slice(0, -1)},`;
  return [prefix, `${prefix.slice(0, -1)}-`];
}

/** The event columns, in the order of EVENT_COLUMNS. */
export const EVENT_COLUMNS = 'id, domain, etype, ekey, version, method, etime, claims, state, deleted';

export function eventValues(event: Event, deleted: boolean): unknown[] {
  return [
    event.id,
    event.entity.domain,
    event.entity.type,
    event.entity.key,
    event.entity.version,
    event.method,
    event.time,
    JSON.stringify(event.claims),
    JSON.stringify(event.entity.values),
    deleted,
  ];
}

export function toEvent(row: cassandra.types.Row, position: bigint): Event {
  return {
    id: row.id as string,
    entity: {
      domain: row.domain as string,
      type: row.etype as string,
      key: row.ekey as string,
      values: parseObject(row.state as string),
      version: Number(row.version),
    },
    claims: parseObject(row.claims as string),
    time: BigInt(row.etime as bigint),
    method: row.method as string,
    position: Number(position),
  };
}

/** A head row as the write plan reads it (values null while deleted). */
export function toHead(row: cassandra.types.Row): EntityHead {
  return {
    version: Number(row.version),
    values: row.deleted ? null : parseObject(row.state as string),
    time: BigInt(row.etime as bigint),
  };
}

/** The live entity of a head row, or null when it is deleted. */
export function toEntity(row: cassandra.types.Row): Entity | null {
  if (row.deleted) return null;
  return {
    domain: row.domain as string,
    type: row.etype as string,
    key: row.ekey as string,
    values: parseObject(row.state as string),
    version: Number(row.version),
  };
}

export function parseObject(text: string): JsonObject {
  return JSON.parse(text) as JsonObject;
}
