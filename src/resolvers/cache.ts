import { invalid } from '../core/errors.js';
import type { CacheEntry, JsonValue } from '../core/model.js';
import type { GraphqlContext } from './context.js';
import { optional } from './convert.js';

export interface CacheArgs {
  domain: string;
  key: string;
  /** GraphQL cannot require a field yet allow null in it: absent (undefined) is refused here. */
  value?: JsonValue;
  exp?: Date | null;
}

export interface CacheRefArgs {
  domain: string;
  key: string;
}

/** `setCache`: the proto answers Empty, so GraphQL answers `true`. */
export async function setCache(args: { input: CacheArgs }, { api, call }: GraphqlContext): Promise<boolean> {
  const { domain, key, value, exp } = args.input;
  if (value === undefined) throw invalid('value is required (any JSON value, null included)');
  await api.cache.set(call, { domain, key, value, exp: optional(exp) });
  return true;
}

export function getCache(args: { input: CacheRefArgs }, { api, call }: GraphqlContext): Promise<CacheEntry> {
  const { domain, key } = args.input;
  return api.cache.get(call, { domain, key });
}

/** `delCache`: the proto answers Empty, so GraphQL answers `true`. */
export async function delCache(args: { input: CacheRefArgs }, { api, call }: GraphqlContext): Promise<boolean> {
  const { domain, key } = args.input;
  await api.cache.del(call, { domain, key });
  return true;
}
