import type { Entity, EntityInput, EntityRef, EventRef, JsonObject, JsonValue, Sort } from '../core/model.js';
import type { GraphqlContext } from './context.js';
import { optional, optionalSafeNumber } from './convert.js';

export interface EntityInputArgs {
  domain: string;
  type: string;
  key: string;
  values: JsonValue;
  version?: bigint | null;
}

export interface EntityRefArgs {
  domain: string;
  type: string;
  key: string;
  version?: bigint | null;
  at?: bigint | null;
}

export interface EventRefArgs {
  domain: string;
  type: string;
  key: string;
  id: string;
  version?: bigint | null;
}

export interface SortArgs {
  field: string;
  reverse?: boolean | null;
}

export interface SearchEntityArgs {
  domain: string;
  type: string;
  query_string?: string | null;
  limit: number;
  offset?: number | null;
  sort?: SortArgs | null;
}

export function toEntityInput(input: EntityInputArgs): EntityInput {
  return {
    domain: input.domain,
    type: input.type,
    key: input.key,
    // A JSON object is what core requires; it rejects anything else with INVALID_ARGUMENT.
    values: input.values as JsonObject,
    version: optionalSafeNumber('version', input.version),
  };
}

export function toEntityRef(input: EntityRefArgs): EntityRef {
  return {
    domain: input.domain,
    type: input.type,
    key: input.key,
    version: optionalSafeNumber('version', input.version),
    // 0 = now, as the proto reads `EntityRef.at` (gRPC cannot tell 0 from unset), so every transport agrees.
    at: input.at === 0n ? undefined : optional(input.at),
  };
}

export function toEventRef(input: EventRefArgs): EventRef {
  const version = optionalSafeNumber('version', input.version);
  return { domain: input.domain, type: input.type, key: input.key, id: input.id, ...(version ? { version } : {}) };
}

export function toSort(sort: SortArgs | null | undefined): Sort | undefined {
  return sort ? { field: sort.field, reverse: sort.reverse ?? false } : undefined;
}

/** `setEntity`: the proto answers Empty, so GraphQL answers `true`. */
export async function setEntity(args: { input: EntityInputArgs }, { api, call }: GraphqlContext): Promise<boolean> {
  await api.entities.set(call, toEntityInput(args.input));
  return true;
}

export function editEntity(args: { input: EntityInputArgs }, { api, call }: GraphqlContext): Promise<Entity> {
  return api.entities.edit(call, toEntityInput(args.input));
}

export function revertEntity(args: { input: EventRefArgs }, { api, call }: GraphqlContext): Promise<Entity> {
  return api.entities.revert(call, toEventRef(args.input));
}

export function getEntity(args: { input: EntityRefArgs }, { api, call }: GraphqlContext): Promise<Entity> {
  return api.entities.get(call, toEntityRef(args.input));
}

export async function delEntity(args: { input: EntityRefArgs }, { api, call }: GraphqlContext): Promise<boolean> {
  await api.entities.del(call, toEntityRef(args.input));
  return true;
}

export async function searchEntities(
  args: { input: SearchEntityArgs },
  { api, call }: GraphqlContext,
): Promise<{ entities: Entity[] }> {
  const { input } = args;
  const entities = await api.entities.search(call, {
    domain: input.domain,
    type: input.type,
    queryString: optional(input.query_string),
    limit: input.limit,
    offset: optional(input.offset),
    sort: toSort(input.sort),
  });
  return { entities };
}
