/**
 * Pure conversions between the generated protobuf messages (src/generated/stategate_pb.ts) and core's
 * model, both ways, for every rpc. gRPC, gRPC-Web, Connect and REST all go through these, so a request
 * means the same to core whichever of them carried it.
 *
 * What is converted, and nothing more (validation is core's, declared once for every transport):
 * - proto3 defaults: an empty string or a 0 is "not given" (undefined) for an optional field. Required
 *   fields pass as they are (an empty `domain` or a `limit` of 0 reaches core, which refuses it with
 *   INVALID_ARGUMENT exactly as it does for GraphQL); an unset required Struct/Value (`values`, `body`,
 *   `value`) passes as undefined, which core refuses the same way.
 * - int64 is bigint in protobuf-es. Times (`time`, `at`, `min`, `max`) stay bigint; versions and
 *   positions are numbers in core, converted exactly: beyond ±(2^53 − 1) is INVALID_ARGUMENT, never
 *   silently rounded.
 * - google.protobuf.Timestamp ⇄ Date, google.protobuf.Value ⇄ JSON (json-value.ts); Struct fields are
 *   JsonObjects in protobuf-es already.
 */
import { create } from '@bufbuild/protobuf';
import { type Empty, EmptySchema, type Timestamp, timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { invalid } from '../../core/errors.js';
import type * as core from '../../core/model.js';
import * as pb from '../../generated/stategate_pb.js';
import { jsonToValue, valueToJson } from './json-value.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An int64 that core holds as a number (a version, a position): exact, or INVALID_ARGUMENT. */
export function int64ToNumber(field: string, value: bigint): number {
  if (value > MAX_SAFE || value < -MAX_SAFE) throw invalid(`${field} is out of range (at most 2^53 - 1)`);
  return Number(value);
}

/** As int64ToNumber, with proto3's 0 meaning "not given". */
function optionalInt64ToNumber(field: string, value: bigint): number | undefined {
  return value === 0n ? undefined : int64ToNumber(field, value);
}

/** A number of core's (a version, a position, a fencing number) as an int64. */
export function numberToInt64(value: number): bigint {
  return BigInt(value);
}

/** proto3: an empty string is "not given". */
function optionalString(value: string): string | undefined {
  return value === '' ? undefined : value;
}

/** proto3: a 0 time is "not given". */
function optionalTime(value: bigint): bigint | undefined {
  return value === 0n ? undefined : value;
}

function optionalDate(value: Timestamp | undefined): Date | undefined {
  return value === undefined ? undefined : timestampDate(value);
}

function coreSort(sort: pb.Sort | undefined): core.Sort | undefined {
  return sort === undefined ? undefined : { field: sort.field, reverse: sort.reverse };
}

// ---------------------------------------------------------------------------------------------------
// Requests: proto message → core input

/** Set / Edit: `version` 0 = no precondition. */
export function coreEntityInput(msg: pb.Entity): core.EntityInput {
  const version = optionalInt64ToNumber('version', msg.version);
  return {
    domain: msg.domain,
    type: msg.type,
    key: msg.key,
    // Unset values stay undefined: core requires a JSON object and refuses it with INVALID_ARGUMENT.
    values: msg.values as core.JsonObject,
    ...(version !== undefined && { version }),
  };
}

/** Get / Del: `version` 0 = current / no precondition; `at` 0 = now. */
export function coreEntityRef(msg: pb.EntityRef): core.EntityRef {
  const version = optionalInt64ToNumber('version', msg.version);
  const at = optionalTime(msg.at);
  return {
    domain: msg.domain,
    type: msg.type,
    key: msg.key,
    ...(version !== undefined && { version }),
    ...(at !== undefined && { at }),
  };
}

/** `version` 0 = no precondition (Revert) / not given (Get). */
export function coreEventRef(msg: pb.EventRef): core.EventRef {
  const version = optionalInt64ToNumber('version', msg.version);
  return { domain: msg.domain, type: msg.type, key: msg.key, id: msg.id, ...(version !== undefined && { version }) };
}

/** `limit` passes as given, 0 included, for core to refuse; `offset` 0 = none. */
export function coreSearchEntityOpts(msg: pb.SearchEntityOpts): core.SearchEntityOpts {
  const queryString = optionalString(msg.queryString);
  const sort = coreSort(msg.sort);
  return {
    domain: msg.domain,
    type: msg.type,
    limit: msg.limit,
    ...(queryString !== undefined && { queryString }),
    ...(msg.offset !== 0 && { offset: msg.offset }),
    ...(sort !== undefined && { sort }),
  };
}

/** An empty `domain` = every domain; `limit` passes as given. */
export function coreListTypesOpts(msg: pb.ListTypesOpts): core.ListTypesOpts {
  const domain = optionalString(msg.domain);
  return {
    limit: msg.limit,
    ...(domain !== undefined && { domain }),
    ...(msg.offset !== 0 && { offset: msg.offset }),
  };
}

/** `min` / `max` / `after` 0 = no bound; `limit` passes as given. */
export function coreSearchEventOpts(msg: pb.SearchEventOpts): core.SearchEventOpts {
  const queryString = optionalString(msg.queryString);
  const min = optionalTime(msg.min);
  const max = optionalTime(msg.max);
  const after = optionalInt64ToNumber('after', msg.after);
  const sort = coreSort(msg.sort);
  return {
    domain: msg.domain,
    type: msg.type,
    limit: msg.limit,
    ...(queryString !== undefined && { queryString }),
    ...(min !== undefined && { min }),
    ...(max !== undefined && { max }),
    ...(msg.offset !== 0 && { offset: msg.offset }),
    ...(sort !== undefined && { sort }),
    ...(after !== undefined && { after }),
  };
}

/** Empty globs = everything; `after` is `optional`: set (0 included) = resume, unset = live only. */
export function coreStreamEventOpts(msg: pb.StreamEventOpts): core.StreamEventOpts {
  const domain = optionalString(msg.domain);
  const type = optionalString(msg.type);
  const key = optionalString(msg.key);
  const consumerGroup = optionalString(msg.consumerGroup);
  return {
    ...(domain !== undefined && { domain }),
    ...(type !== undefined && { type }),
    ...(key !== undefined && { key }),
    ...(consumerGroup !== undefined && { consumerGroup }),
    ...(msg.after !== undefined && { after: int64ToNumber('after', msg.after) }),
  };
}

export function coreMessage(msg: pb.Message): core.Message {
  return {
    domain: msg.domain,
    channel: msg.channel,
    type: msg.type,
    // Unset body stays undefined: core requires a JSON object and refuses it with INVALID_ARGUMENT.
    body: msg.body as core.JsonObject,
  };
}

export function coreStreamMessageOpts(msg: pb.StreamMessageOpts): core.StreamMessageOpts {
  const domain = optionalString(msg.domain);
  const channel = optionalString(msg.channel);
  const type = optionalString(msg.type);
  const consumerGroup = optionalString(msg.consumerGroup);
  return {
    ...(domain !== undefined && { domain }),
    ...(channel !== undefined && { channel }),
    ...(type !== undefined && { type }),
    ...(consumerGroup !== undefined && { consumerGroup }),
  };
}

/** Cache.Set: unset `exp` = never expires. */
export function coreCacheEntry(msg: pb.Cache): core.CacheEntry {
  const exp = optionalDate(msg.exp);
  return {
    domain: msg.domain,
    key: msg.key,
    // Unset value stays undefined: core requires a value and refuses it with INVALID_ARGUMENT.
    value: valueToJson(msg.value) as core.JsonValue,
    ...(exp !== undefined && { exp }),
  };
}

export function coreCacheRef(msg: pb.CacheRef): core.CacheRef {
  return { domain: msg.domain, key: msg.key };
}

/** Mutex.Lock: unset `exp` = the server's default lease. */
export function coreMutexRequest(msg: pb.Mutex): core.MutexRequest {
  const exp = optionalDate(msg.exp);
  return { domain: msg.domain, key: msg.key, ...(exp !== undefined && { exp }) };
}

/** Mutex.Unlock: empty `token` = whoever holds the lock. */
export function coreMutexRef(msg: pb.MutexRef): core.MutexRef {
  const token = optionalString(msg.token);
  return { domain: msg.domain, key: msg.key, ...(token !== undefined && { token }) };
}

// ---------------------------------------------------------------------------------------------------
// Responses: core output → proto message

export function protoEntity(entity: core.Entity): pb.Entity {
  return create(pb.EntitySchema, {
    domain: entity.domain,
    type: entity.type,
    key: entity.key,
    values: entity.values,
    version: numberToInt64(entity.version),
  });
}

export function protoEntities(entities: readonly core.Entity[]): pb.Entities {
  return create(pb.EntitiesSchema, { entities: entities.map(protoEntity) });
}

export function protoTypeCounts(types: readonly core.TypeCount[]): pb.TypeCounts {
  return create(pb.TypeCountsSchema, {
    types: types.map((t) => ({ domain: t.domain, type: t.type, count: numberToInt64(t.count) })),
  });
}

export function protoEvent(event: core.Event): pb.Event {
  return create(pb.EventSchema, {
    id: event.id,
    entity: protoEntity(event.entity),
    claims: event.claims,
    time: event.time,
    method: event.method,
    position: numberToInt64(event.position),
  });
}

export function protoEvents(events: readonly core.Event[]): pb.Events {
  return create(pb.EventsSchema, { events: events.map(protoEvent) });
}

export function protoPeerMessage(message: core.PeerMessage): pb.PeerMessage {
  return create(pb.PeerMessageSchema, {
    id: message.id,
    domain: message.domain,
    channel: message.channel,
    type: message.type,
    body: message.body,
    claims: message.claims,
    time: message.time,
  });
}

export function protoCache(entry: core.CacheEntry): pb.Cache {
  return create(pb.CacheSchema, {
    domain: entry.domain,
    key: entry.key,
    value: jsonToValue(entry.value),
    ...(entry.exp !== undefined && { exp: timestampFromDate(entry.exp) }),
  });
}

export function protoMutexLease(lease: core.MutexLease): pb.MutexLease {
  return create(pb.MutexLeaseSchema, {
    domain: lease.domain,
    key: lease.key,
    exp: timestampFromDate(lease.exp),
    token: lease.token,
    fencing: numberToInt64(lease.fencing),
  });
}

export function protoEmpty(): Empty {
  return create(EmptySchema);
}
