import type { CacheEntry } from '../core/model.js';
import { delCache, getCache, setCache } from '../resolvers/cache.js';
import { builder } from './builder.js';

export const CacheType = builder.objectRef<CacheEntry>('Cache').implement({
  description: 'A short-lived value in the cache.',
  fields: (t) => ({
    domain: t.exposeString('domain'),
    key: t.exposeString('key'),
    value: t.expose('value', { type: 'JSON', nullable: true, description: 'Any JSON value (null included).' }),
    exp: t.expose('exp', { type: 'DateTime', nullable: true, description: 'When it expires; null = never.' }),
  }),
});

export const CacheInput = builder.inputType('CacheInput', {
  fields: (t) => ({
    domain: t.string({ required: true }),
    key: t.string({ required: true }),
    // Nullable only so that JSON null can be stored: leaving it out is INVALID_ARGUMENT.
    value: t.field({ type: 'JSON', description: 'Any JSON value, null included. Required.' }),
    exp: t.field({ type: 'DateTime', description: 'When it expires (must be in the future); absent = never.' }),
  }),
});

export const CacheRefInput = builder.inputType('CacheRefInput', {
  fields: (t) => ({
    domain: t.string({ required: true }),
    key: t.string({ required: true }),
  }),
});

builder.queryFields((t) => ({
  getCache: t.field({
    type: CacheType,
    description: 'A cached value (NOT_FOUND when absent or expired).',
    args: { input: t.arg({ type: CacheRefInput, required: true }) },
    resolve: (_root, args, ctx) => getCache(args, ctx),
  }),
}));

builder.mutationFields((t) => ({
  setCache: t.boolean({
    description: 'Sets a value in the cache.',
    args: { input: t.arg({ type: CacheInput, required: true }) },
    resolve: (_root, args, ctx) => setCache(args, ctx),
  }),
  delCache: t.boolean({
    description: 'Deletes a value from the cache.',
    args: { input: t.arg({ type: CacheRefInput, required: true }) },
    resolve: (_root, args, ctx) => delCache(args, ctx),
  }),
}));
