import type { Entity } from '../core/model.js';
import { delEntity, editEntity, getEntity, revertEntity, searchEntities, setEntity } from '../resolvers/entity.js';
import { builder } from './builder.js';

export const EntityType = builder.objectRef<Entity>('Entity').implement({
  description:
    'A single record (k/v values) with a unique key of a given type, belonging to a domain. Its every change ' +
    'is an Event.',
  fields: (t) => ({
    domain: t.exposeString('domain', { description: "The entity's business domain (e.g. accounting)." }),
    type: t.exposeString('type', { description: "The entity's type (e.g. user)." }),
    key: t.exposeString('key', { description: "The entity's key, unique within its type." }),
    values: t.expose('values', { type: 'JSON', description: "The entity's values: a JSON object." }),
    version: t.expose('version', {
      type: 'Int64',
      description: 'Consecutive per entity, starting at 1; every change adds one.',
    }),
  }),
});

export const EntitiesType = builder.objectRef<{ entities: Entity[] }>('Entities').implement({
  fields: (t) => ({ entities: t.expose('entities', { type: [EntityType] }) }),
});

export const EntityInput = builder.inputType('EntityInput', {
  description: 'An entity to set or edit (identified by domain, type and key).',
  fields: (t) => ({
    domain: t.string({ required: true }),
    type: t.string({ required: true }),
    key: t.string({ required: true }),
    values: t.field({
      type: 'JSON',
      required: true,
      description: 'setEntity: the new values. editEntity: a JSON Merge Patch (RFC 7386; null removes a key).',
    }),
    version: t.field({
      type: 'Int64',
      description:
        'Precondition: 0 or absent = none, -1 = the entity must not exist, N = the current version must be N ' +
        '(else ABORTED).',
    }),
  }),
});

export const EntityRefInput = builder.inputType('EntityRefInput', {
  description: 'Refers to an entity; getEntity may ask for a past state by version or time.',
  fields: (t) => ({
    domain: t.string({ required: true }),
    type: t.string({ required: true }),
    key: t.string({ required: true }),
    version: t.field({
      type: 'Int64',
      description:
        "getEntity: that version's state (0 or absent = current). delEntity: a precondition as in EntityInput.",
    }),
    at: t.field({
      type: 'Int64',
      description: 'getEntity: the state as of this instant, in nanoseconds since the Unix epoch.',
    }),
  }),
});

export const EventRefInput = builder.inputType('EventRefInput', {
  description: 'Refers to one event of one entity: domain, type, key and id must all match.',
  fields: (t) => ({
    domain: t.string({ required: true }),
    type: t.string({ required: true }),
    key: t.string({ required: true }),
    id: t.string({ required: true, description: 'The event id (uuid v4).' }),
    version: t.field({
      type: 'Int64',
      description:
        'revertEntity: a precondition on the current version as in EntityInput (0 or absent = none, -1 = must not ' +
        'exist, N = the current version must be N, else ABORTED). getEvent: must be absent or 0.',
    }),
  }),
});

export const SortInput = builder.inputType('SortInput', {
  fields: (t) => ({
    field: t.string({ required: true, description: 'The field to sort by (a path as in query_string).' }),
    reverse: t.boolean({ description: 'Descending order when true.' }),
  }),
});

export const SearchEntityOpts = builder.inputType('SearchEntityOpts', {
  fields: (t) => ({
    domain: t.string({ required: true }),
    type: t.string({ required: true }),
    query_string: t.string({
      description:
        'A JSON filter in a safe subset of MongoDB syntax over paths inside values (`_id` = key), e.g. ' +
        '`{"age": {"$gte": 21}}`. Operators: $eq $ne $gt $gte $lt $lte $in $nin $exists $and $or $not.',
    }),
    limit: t.int({ required: true, description: 'At most this many results (> 0; capped by the server).' }),
    offset: t.int(),
    sort: t.field({ type: SortInput }),
  }),
});

builder.queryFields((t) => ({
  getEntity: t.field({
    type: EntityType,
    description: "An entity's current state, or a past one (input.version / input.at).",
    args: { input: t.arg({ type: EntityRefInput, required: true }) },
    resolve: (_root, args, ctx) => getEntity(args, ctx),
  }),
  searchEntities: t.field({
    type: EntitiesType,
    description: 'Queries the current state of entities.',
    args: { input: t.arg({ type: SearchEntityOpts, required: true }) },
    resolve: (_root, args, ctx) => searchEntities(args, ctx),
  }),
}));

builder.mutationFields((t) => ({
  setEntity: t.boolean({
    description: "Sets an entity's values, appends the change to the event log and broadcasts the event.",
    args: { input: t.arg({ type: EntityInput, required: true }) },
    resolve: (_root, args, ctx) => setEntity(args, ctx),
  }),
  editEntity: t.field({
    type: EntityType,
    description: "Merges input.values into the entity's values (JSON Merge Patch); answers the new state.",
    args: { input: t.arg({ type: EntityInput, required: true }) },
    resolve: (_root, args, ctx) => editEntity(args, ctx),
  }),
  revertEntity: t.field({
    type: EntityType,
    description: 'Sets the entity back to the state recorded by one of its events (a new event).',
    args: { input: t.arg({ type: EventRefInput, required: true }) },
    resolve: (_root, args, ctx) => revertEntity(args, ctx),
  }),
  delEntity: t.boolean({
    description: "Deletes an entity's current state; its history stays in the event log.",
    args: { input: t.arg({ type: EntityRefInput, required: true }) },
    resolve: (_root, args, ctx) => delEntity(args, ctx),
  }),
}));
