import type { TypeCount } from '../core/model.js';
import type { GraphqlContext } from './context.js';
import { optional } from './convert.js';

export interface ListTypesArgs {
  domain?: string | null;
  limit: number;
  offset?: number | null;
}

/** `listTypes`: the domains and types that hold live entities, with their counts. */
export async function listTypes(
  args: { input: ListTypesArgs },
  { api, call }: GraphqlContext,
): Promise<{ types: TypeCount[] }> {
  const { input } = args;
  const types = await api.entities.listTypes(call, {
    domain: optional(input.domain),
    limit: input.limit,
    offset: optional(input.offset),
  });
  return { types };
}
