import type { TypeCount } from '../core/model.js';
import { listTypes } from '../resolvers/list-types.js';
import { builder } from './builder.js';

export const TypeCountType = builder.objectRef<TypeCount>('TypeCount').implement({
  description: 'A domain and type that holds live entities.',
  fields: (t) => ({
    domain: t.exposeString('domain', { description: 'The business domain (e.g. accounting).' }),
    type: t.exposeString('type', { description: 'The entity type (e.g. user).' }),
    count: t.expose('count', {
      type: 'Int64',
      description: 'How many live (not deleted) entities of this domain and type exist.',
    }),
  }),
});

export const TypeCountsType = builder.objectRef<{ types: TypeCount[] }>('TypeCounts').implement({
  fields: (t) => ({
    types: t.expose('types', { type: [TypeCountType], description: 'By domain, then type (code point order).' }),
  }),
});

export const ListTypesOpts = builder.inputType('ListTypesOpts', {
  fields: (t) => ({
    domain: t.string({ description: "Only this domain's types (absent or empty = every domain)." }),
    limit: t.int({ required: true, description: 'At most this many pairs (> 0; capped by the server).' }),
    offset: t.int({ description: 'Pairs to skip (pagination).' }),
  }),
});

builder.queryFields((t) => ({
  listTypes: t.field({
    type: TypeCountsType,
    description:
      'The domains and types that hold live entities, each with its count; the response policy decides each ' +
      'pair (method /stategate.EntityService/ListTypes).',
    args: { input: t.arg({ type: ListTypesOpts, required: true }) },
    resolve: (_root, args, ctx) => listTypes(args, ctx),
  }),
}));
