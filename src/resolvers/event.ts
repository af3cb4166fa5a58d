import type { Entity, Event } from '../core/model.js';
import type { GraphqlContext } from './context.js';
import { optional, optionalSafeNumber } from './convert.js';
import { type EventRefArgs, type SortArgs, toEventRef, toSort } from './entity.js';
import { endWithFailure, type StreamItem } from './stream.js';

export interface SearchEventArgs {
  domain: string;
  type: string;
  query_string?: string | null;
  min?: bigint | null;
  max?: bigint | null;
  limit: number;
  offset?: number | null;
  sort?: SortArgs | null;
  after?: bigint | null;
}

export interface StreamEventArgs {
  domain?: string | null;
  type?: string | null;
  key?: string | null;
  consumer_group?: string | null;
  after?: bigint | null;
}

export function getEvent(args: { input: EventRefArgs }, { api, call }: GraphqlContext): Promise<Event> {
  return api.events.get(call, toEventRef(args.input));
}

export async function searchEvents(
  args: { input: SearchEventArgs },
  { api, call }: GraphqlContext,
): Promise<{ events: Event[] }> {
  const { input } = args;
  const events = await api.events.search(call, {
    domain: input.domain,
    type: input.type,
    queryString: optional(input.query_string),
    min: optional(input.min),
    max: optional(input.max),
    limit: input.limit,
    offset: optional(input.offset),
    sort: toSort(input.sort),
    after: optionalSafeNumber('after', input.after),
  });
  return { events };
}

export async function streamEvents(
  args: { input: StreamEventArgs },
  { api, call }: GraphqlContext,
): Promise<AsyncIterable<StreamItem<Event>>> {
  const { input } = args;
  const subscription = await api.events.stream(call, {
    domain: optional(input.domain),
    type: optional(input.type),
    key: optional(input.key),
    consumerGroup: optional(input.consumer_group),
    after: optionalSafeNumber('after', input.after),
  });
  return endWithFailure(subscription);
}

/**
 * `Event.current`: the entity's state now, batched over the operation's loader so N listed events cost
 * one read. A subscription keeps its context for its whole life, so there each event reads afresh.
 */
export function currentEntity(event: Event, { loaders }: GraphqlContext, fresh: boolean): Promise<Entity | null> {
  const { domain, type, key } = event.entity;
  const ref = { domain, type, key };
  if (fresh) loaders.currentEntity.clear(ref);
  return loaders.currentEntity.load(ref);
}
