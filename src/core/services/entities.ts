import type { Clock } from '../clock.js';
import { invalid, notFound } from '../errors.js';
import { parseFilter, parseSort } from '../filter/parse.js';
import type { Limits } from '../limits.js';
import { mergePatch } from '../merge-patch.js';
import { Method } from '../methods.js';
import type {
  Entity,
  EntityInput,
  EntityKey,
  EntityRef,
  Event,
  EventRef,
  JsonObject,
  ListTypesOpts,
  SearchEntityOpts,
  TypeCount,
} from '../model.js';
import type { EntityQuery, StorageProvider, TypeQuery, WriteIntent } from '../ports/storage.js';
import type { EventHub } from '../stream/event-hub.js';
import {
  nonNegativeInt,
  requireName,
  requireObject,
  requireUuidV4,
  searchLimit,
  versionPrecondition,
} from '../validate.js';

export interface EntityServiceDeps {
  storage: StorageProvider;
  hub: EventHub;
  clock: Clock;
  limits: Limits;
  newId: () => string;
}

/** Entities: every change is one intent appended with its event, then announced to the streams. */
export class EntityService {
  constructor(private readonly deps: EntityServiceDeps) {}

  validateInput(input: EntityInput): EntityInput {
    return {
      ...entityKey(input),
      values: requireObject('values', input.values, { maxDepth: this.deps.limits.jsonDepth }),
      version: versionPrecondition('version', input.version),
    };
  }

  validateRef(ref: EntityRef): EntityRef {
    const version = ref.version ?? 0;
    if (!Number.isSafeInteger(version) || version < -1) throw invalid('version must be -1, 0 or a positive version');
    if (ref.at !== undefined && ref.at <= 0n) throw invalid('at must be a positive time in nanoseconds');
    return { ...entityKey(ref), version, ...(ref.at !== undefined ? { at: ref.at } : {}) };
  }

  /** An event to read: found by its id alone, so a version would mean nothing and is refused. */
  validateEventRef(ref: EventRef): EventRef {
    if (ref.version !== undefined && ref.version !== 0) {
      throw invalid('version is a precondition of Revert only: an event is found by its id');
    }
    return { ...entityKey(ref), id: requireUuidV4('id', ref.id) };
  }

  /** An event to revert to, with an optional precondition on the entity's current version. */
  validateRevert(ref: EventRef): EventRef {
    return { ...entityKey(ref), id: requireUuidV4('id', ref.id), version: versionPrecondition('version', ref.version) };
  }

  validateSearch(opts: SearchEntityOpts): EntityQuery {
    return {
      domain: requireName('domain', opts.domain),
      type: requireName('type', opts.type),
      filter: parseFilter(opts.queryString, 'entities'),
      sort: parseSort(opts.sort, 'entities'),
      limit: searchLimit(opts.limit, this.deps.limits.searchLimitCap),
      offset: nonNegativeInt('offset', opts.offset),
    };
  }

  validateListTypes(opts: ListTypesOpts): TypeQuery {
    return {
      domain: opts.domain === undefined || opts.domain === '' ? null : requireName('domain', opts.domain),
      limit: searchLimit(opts.limit, this.deps.limits.searchLimitCap),
      offset: nonNegativeInt('offset', opts.offset),
    };
  }

  set(input: EntityInput, claims: JsonObject): Promise<Event> {
    return this.write(input, input.version ?? 0, Method.entitySet, claims, () => input.values);
  }

  async edit(input: EntityInput, claims: JsonObject): Promise<Entity> {
    const event = await this.write(input, input.version ?? 0, Method.entityEdit, claims, (live) => {
      if (!live) throw notFound(`entity ${describe(input)} does not exist`);
      return mergePatch(live.values, input.values) as JsonObject;
    });
    return event.entity;
  }

  async revert(ref: EventRef, claims: JsonObject): Promise<Entity> {
    // Events are immutable, so reading the target outside the write transaction is safe.
    const target = await this.deps.storage.getEvent(ref);
    if (!target) throw notFound(`event ${ref.id} of entity ${describe(ref)} does not exist`);
    const event = await this.write(ref, ref.version ?? 0, Method.entityRevert, claims, () => target.entity.values);
    return event.entity;
  }

  del(ref: EntityRef, claims: JsonObject): Promise<Event> {
    return this.write(ref, ref.version ?? 0, Method.entityDel, claims, (live) => {
      if (!live) throw notFound(`entity ${describe(ref)} does not exist`);
      return null;
    });
  }

  /** The current state, or with `version` / `at` the state recorded in the log then. */
  async get(ref: EntityRef): Promise<Entity> {
    const { storage } = this.deps;
    if (ref.version && ref.version > 0 && ref.at !== undefined) throw invalid('give version or at, not both');
    if (ref.version === -1) throw invalid('version -1 is a precondition, not a version to get');
    if (ref.version && ref.version > 0) {
      const event = await storage.getEventByVersion(ref, ref.version);
      return stateOf(event, `version ${ref.version} of entity ${describe(ref)}`);
    }
    if (ref.at !== undefined) {
      const event = await storage.getEventAt(ref, ref.at);
      return stateOf(event, `entity ${describe(ref)} at ${ref.at}`);
    }
    const entity = await storage.getEntity(ref);
    if (!entity) throw notFound(`entity ${describe(ref)} does not exist`);
    return entity;
  }

  getMany(keys: readonly EntityKey[]): Promise<(Entity | null)[]> {
    return this.deps.storage.getEntities(keys);
  }

  search(query: EntityQuery): Promise<Entity[]> {
    return this.deps.storage.searchEntities(query);
  }

  listTypes(query: TypeQuery): Promise<TypeCount[]> {
    return this.deps.storage.listTypes(query);
  }

  private async write(
    target: EntityKey,
    expectedVersion: number,
    method: string,
    claims: JsonObject,
    next: WriteIntent['next'],
  ): Promise<Event> {
    const intent: WriteIntent = {
      target: { domain: target.domain, type: target.type, key: target.key },
      expectedVersion,
      method,
      claims,
      eventId: this.deps.newId(),
      time: this.deps.clock.nowNs(),
      next,
    };
    const event = await this.deps.storage.append(intent);
    this.deps.hub.committed(event);
    return event;
  }
}

export function entityKey(ref: EntityKey): EntityKey {
  return {
    domain: requireName('domain', ref.domain),
    type: requireName('type', ref.type),
    key: requireName('key', ref.key),
  };
}

/** A deletion's event records the state it removed; as of that event the entity does not exist. */
function stateOf(event: Event | null, what: string): Entity {
  if (!event || event.method === Method.entityDel) throw notFound(`${what} does not exist`);
  return event.entity;
}

function describe(key: EntityKey): string {
  return `${key.domain}/${key.type}/${key.key}`;
}
