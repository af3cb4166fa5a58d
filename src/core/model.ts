/**
 * The domain model shared by every layer. Field names follow the protobuf contract (DESIGN.md §2) in
 * camelCase. 64-bit nanosecond times are bigint so they stay exact; versions and positions are numbers
 * (exact up to 2^53, far beyond any log this server will hold).
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Identifies one entity: unique per (domain, type, key). */
export interface EntityKey {
  domain: string;
  type: string;
  key: string;
}

export interface Entity extends EntityKey {
  values: JsonObject;
  /** Consecutive per entity, starting at 1 (G2). */
  version: number;
}

/** Input of Set and Edit: `version` is a precondition (0 none, -1 must not exist, N must be current). */
export interface EntityInput extends EntityKey {
  values: JsonObject;
  version?: number;
}

/** Input of Get (version/at: time travel) and Del (version: a precondition). */
export interface EntityRef extends EntityKey {
  version?: number;
  /** Nanoseconds since the epoch: Get returns the state as of that instant. */
  at?: bigint;
}

export interface Event {
  /** uuid v4 */
  id: string;
  /** The entity after the change; for Del, the state before deletion. */
  entity: Entity;
  claims: JsonObject;
  /** Nanoseconds since the epoch. */
  time: bigint;
  /** The gRPC full method that caused the change, e.g. `/stategate.EntityService/Set`. */
  method: string;
  /** The event's place in the store's global log (G4). */
  position: number;
}

export interface EventRef extends EntityKey {
  id: string;
  /** Revert only: a precondition on the current version, as in EntityInput (0 none, -1 must not exist, N). */
  version?: number;
}

export interface Sort {
  field: string;
  reverse: boolean;
}

export interface SearchEntityOpts {
  domain: string;
  type: string;
  queryString?: string;
  limit: number;
  offset?: number;
  sort?: Sort;
}

/** ListTypes: which domains and types hold live entities (for browsing, e.g. the console). */
export interface ListTypesOpts {
  /** Only this domain's types; absent or empty = every domain. */
  domain?: string;
  limit: number;
  offset?: number;
}

/** One domain and type that holds live entities, and how many. */
export interface TypeCount {
  domain: string;
  type: string;
  /** Live (not deleted) entities of this domain and type. */
  count: number;
}

export interface SearchEventOpts {
  domain: string;
  type: string;
  queryString?: string;
  min?: bigint;
  max?: bigint;
  limit: number;
  offset?: number;
  sort?: Sort;
  /** Only events with position > after: page through the log by position. */
  after?: number;
}

export interface StreamEventOpts {
  domain?: string;
  type?: string;
  key?: string;
  consumerGroup?: string;
  /** Resume: replay stored events with position > after, then continue live (G6). */
  after?: number;
}

export interface Message {
  domain: string;
  channel: string;
  type: string;
  body: JsonObject;
}

export interface PeerMessage extends Message {
  id: string;
  claims: JsonObject;
  time: bigint;
}

export interface StreamMessageOpts {
  domain?: string;
  channel?: string;
  type?: string;
  consumerGroup?: string;
}

export interface CacheRef {
  domain: string;
  key: string;
}

export interface CacheEntry extends CacheRef {
  value: JsonValue;
  /** Absolute expiry; absent = never expires. */
  exp?: Date;
}

export interface MutexRef {
  domain: string;
  key: string;
  /** When given, Unlock succeeds only for the holder of this token. */
  token?: string;
}

export interface MutexRequest {
  domain: string;
  key: string;
  exp?: Date;
}

export interface MutexLease {
  domain: string;
  key: string;
  exp: Date;
  token: string;
  /** Rises with every grant of this key (G7): pass it to the resource you guard. */
  fencing: number;
}
