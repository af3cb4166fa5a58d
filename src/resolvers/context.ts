import DataLoader from 'dataloader';
import type { StategateApi } from '../core/api.js';
import type { Entity, EntityKey } from '../core/model.js';
import type { CallContext } from '../core/ports/access.js';

/** Batching readers, one set per GraphQL operation so nothing is shared between callers. */
export interface Loaders {
  /** Current state of an entity (null when absent or withheld by the response policy). */
  currentEntity: DataLoader<EntityKey, Entity | null, string>;
}

/** What every resolver receives: the core API, who is calling, and the operation's loaders. */
export interface GraphqlContext {
  api: StategateApi;
  call: CallContext;
  loaders: Loaders;
}

const entityCacheKey = (key: EntityKey) => JSON.stringify([key.domain, key.type, key.key]);

/** Loaders that turn the N reads a list's resolvers fan out to into one `getMany` call. */
export function createLoaders(api: StategateApi, call: CallContext): Loaders {
  return {
    currentEntity: new DataLoader((keys) => api.entities.getMany(call, keys), {
      cacheKeyFn: entityCacheKey,
      maxBatchSize: 1000,
    }),
  };
}

export function createGraphqlContext(api: StategateApi, call: CallContext): GraphqlContext {
  return { api, call, loaders: createLoaders(api, call) };
}
