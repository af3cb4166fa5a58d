import type { Event } from '../core/model.js';
import { currentEntity, getEvent, searchEvents, streamEvents } from '../resolvers/event.js';
import { unwrapStreamItem } from '../resolvers/stream.js';
import { builder } from './builder.js';
import { EntityType, EventRefInput, SortInput } from './entity.js';

export const EventType = builder.objectRef<Event>('Event').implement({
  description: 'One state change of an entity: immutable, persisted and broadcast to interested subscribers.',
  fields: (t) => ({
    id: t.exposeString('id', { description: 'Identifies the event (uuid v4).' }),
    entity: t.expose('entity', {
      type: EntityType,
      description: 'The entity after the change (for delEntity: its state before deletion).',
    }),
    claims: t.expose('claims', { type: 'JSON', description: 'The JWT claims of the caller who made the change.' }),
    time: t.expose('time', { type: 'Int64', description: 'When the change was made, in nanoseconds since the epoch.' }),
    method: t.exposeString('method', {
      description: 'The method that made the change, e.g. /stategate.EntityService/Set.',
    }),
    position: t.expose('position', {
      type: 'Int64',
      description: "The event's place in the global log; resume a stream after it with StreamEventOpts.after.",
    }),
    current: t.field({
      type: EntityType,
      nullable: true,
      description: "The entity's current state (null when it is deleted or withheld).",
      resolve: (event, _args, ctx, info) => currentEntity(event, ctx, info.operation.operation === 'subscription'),
    }),
  }),
});

export const EventsType = builder.objectRef<{ events: Event[] }>('Events').implement({
  fields: (t) => ({ events: t.expose('events', { type: [EventType] }) }),
});

export const SearchEventOpts = builder.inputType('SearchEventOpts', {
  fields: (t) => ({
    domain: t.string({ required: true }),
    type: t.string({ required: true }),
    query_string: t.string({
      description:
        'A JSON filter (safe MongoDB subset) over `entity.key`, `entity.values.x`, `claims.x`, `method`, `time`, `_id`.',
    }),
    min: t.field({ type: 'Int64', description: 'Only events at or after this time (ns since the epoch).' }),
    max: t.field({ type: 'Int64', description: 'Only events at or before this time (ns since the epoch).' }),
    limit: t.int({ required: true, description: 'At most this many results (> 0; capped by the server).' }),
    offset: t.int(),
    sort: t.field({ type: SortInput }),
    after: t.field({ type: 'Int64', description: 'Only events with a position greater than this.' }),
  }),
});

export const StreamEventOpts = builder.inputType('StreamEventOpts', {
  description: 'Which events to stream. domain, type and key are globs (`*` any run, `?` one character).',
  fields: (t) => ({
    domain: t.string(),
    type: t.string(),
    key: t.string(),
    consumer_group: t.string({
      description: 'Each event goes to exactly one subscriber of the group (across all server instances).',
    }),
    after: t.field({
      type: 'Int64',
      description: 'Resume: first replay stored events with a position greater than this, then continue live.',
    }),
  }),
});

builder.queryFields((t) => ({
  getEvent: t.field({
    type: EventType,
    description: 'One event of one entity.',
    args: { input: t.arg({ type: EventRefInput, required: true }) },
    resolve: (_root, args, ctx) => getEvent(args, ctx),
  }),
  searchEvents: t.field({
    type: EventsType,
    description: 'Queries the event log: every historical change of entities.',
    args: { input: t.arg({ type: SearchEventOpts, required: true }) },
    resolve: (_root, args, ctx) => searchEvents(args, ctx),
  }),
}));

builder.subscriptionFields((t) => ({
  streamEvents: t.field({
    type: EventType,
    description:
      'Streams entity changes as they are committed. If the server ends the stream (e.g. RESOURCE_EXHAUSTED for ' +
      'a slow subscriber), the last payload carries the error and the stream completes; resume with `after`.',
    args: { input: t.arg({ type: StreamEventOpts, required: true }) },
    subscribe: (_root, args, ctx) => streamEvents(args, ctx),
    resolve: (item) => unwrapStreamItem(item),
  }),
}));
