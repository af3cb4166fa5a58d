import type { Filter, SortSpec } from '../filter/ast.js';
import type { Entity, EntityKey, Event, EventRef, JsonObject, TypeCount } from '../model.js';

/**
 * One mutation of one entity, as core hands it to storage. The provider runs it in a transaction:
 * read the entity's head row, call `planWrite(intent, head)` (core/write-plan.ts), write the new head row
 * and append the planned event, atomically (G1). Core owns the semantics; providers own durability.
 */
export interface WriteIntent {
  target: EntityKey;
  /** 0 = no precondition, -1 = the entity must not exist, N > 0 = the current version must be N. */
  expectedVersion: number;
  method: string;
  claims: JsonObject;
  eventId: string;
  /** When the request arrived, ns. The plan raises it if needed so one entity's times never go backwards. */
  time: bigint;
  /**
   * Computes the next values from the live state (null when absent or deleted); null deletes.
   * Pure and synchronous so it can run inside any provider's transaction; throws a StategateError to refuse.
   */
  next(live: Entity | null): JsonObject | null;
}

/** The stored head of one entity: its latest version, whether or not it is currently deleted. */
export interface EntityHead {
  version: number;
  /** null while the entity is deleted (a tombstone keeps the version sequence going). */
  values: JsonObject | null;
  /** Time of the latest event, ns. */
  time: bigint;
}

export interface EntityQuery {
  domain: string;
  type: string;
  filter: Filter | null;
  /** null = by key ascending. */
  sort: SortSpec | null;
  limit: number;
  offset: number;
}

/** Domains and types holding live entities, by domain then type (code point order). */
export interface TypeQuery {
  /** null = every domain. */
  domain: string | null;
  limit: number;
  offset: number;
}

export interface EventQuery {
  domain: string;
  type: string;
  filter: Filter | null;
  /** Inclusive bounds on `time`, ns. */
  min?: bigint;
  max?: bigint;
  /** Only events with position > after. */
  after?: number;
  /** null = by position ascending. */
  sort: SortSpec | null;
  limit: number;
  offset: number;
}

/**
 * Durable storage of entities and their event log. Every implementation passes the storage contract
 * suite (test/contract/storage.contract.ts) so that the same request gets the same answer on each (G10).
 */
export interface StorageProvider {
  readonly name: string;
  /**
   * Commits one mutation: precondition check, new state and its event in one transaction (G1, G3).
   * Resolves only once the commit is durable. Rejects with the StategateError that `planWrite` or
   * `intent.next` threw, or UNAVAILABLE when the store cannot be reached (never acknowledged).
   */
  append(intent: WriteIntent): Promise<Event>;
  /** The live (not deleted) state, or null. */
  getEntity(key: EntityKey): Promise<Entity | null>;
  /** Batched `getEntity`, results in the order of `keys` (for dataloader). */
  getEntities(keys: readonly EntityKey[]): Promise<(Entity | null)[]>;
  /** The event that produced `version` of this entity, or null. */
  getEventByVersion(key: EntityKey, version: number): Promise<Event | null>;
  /** The entity's latest event with time <= at, or null. */
  getEventAt(key: EntityKey, at: bigint): Promise<Event | null>;
  /** The event with this id of exactly this entity, or null. */
  getEvent(ref: EventRef): Promise<Event | null>;
  searchEntities(query: EntityQuery): Promise<Entity[]>;
  searchEvents(query: EventQuery): Promise<Event[]>;
  /**
   * The (domain, type) pairs that hold at least one live (not deleted) entity, each with its count of live
   * entities, ordered by domain then type in code point order, paged by limit and offset.
   */
  listTypes(query: TypeQuery): Promise<TypeCount[]>;
  /**
   * Up to `limit` events with position > after, in position order. Contract (G4): once an event at
   * position P has been returned, no event below P can ever be returned by a later call.
   */
  readLog(after: number, limit: number): Promise<Event[]>;
  /** The highest position committed so far (0 for an empty log). */
  headPosition(): Promise<number>;
  close(): Promise<void>;
}
