import type { BusConfig, CacheConfig, StorageConfig } from '../config/config.js';
import type { BusProvider } from '../core/ports/bus.js';
import type { CacheProvider, MutexProvider } from '../core/ports/cache.js';
import type { Logger } from '../core/ports/logger.js';
import type { StorageProvider } from '../core/ports/storage.js';
import { createMemoryBus } from './bus/memory-bus.js';
import { createNatsBus } from './bus/nats-bus.js';
import { createRedisBus } from './bus/redis-bus.js';
import { createMemoryCache } from './cache/memory-cache.js';
import { createNatsCache } from './cache/nats-cache.js';
import { createRedisCache } from './cache/redis-cache.js';
import { createMemoryMutex } from './mutex/memory-mutex.js';
import { createNatsMutex } from './mutex/nats-mutex.js';
import { createRedisMutex } from './mutex/redis-mutex.js';
import { createCassandraStorage } from './storage/cassandra/cassandra-storage.js';
import { createMongoStorage } from './storage/mongo/mongo-storage.js';
import { createMysqlStorage } from './storage/mysql/mysql-storage.js';
import { createPostgresStorage } from './storage/postgres/postgres-storage.js';
import { createSqliteStorage } from './storage/sqlite/sqlite-storage.js';

/** Opens the storage provider the config names. */
export async function createStorage(config: StorageConfig, logger: Logger): Promise<StorageProvider> {
  switch (config.name) {
    case 'sqlite':
      return createSqliteStorage({ path: config.path, logger });
    case 'postgres':
      return createPostgresStorage({ url: config.url, poolSize: config.poolSize, logger });
    case 'mysql':
      return createMysqlStorage({ url: config.url, poolSize: config.poolSize, logger });
    case 'mongo':
      return createMongoStorage({
        url: config.url,
        database: config.database,
        poolSize: config.poolSize,
        allowStandalone: config.allowStandalone,
        logger,
      });
    case 'cassandra':
      return createCassandraStorage({
        addr: config.addr,
        keyspace: config.keyspace,
        localDataCenter: config.localDataCenter,
        user: config.user,
        password: config.password,
        replication: config.replication,
        consistency: config.consistency,
        serialConsistency: config.serialConsistency,
        logger,
      });
  }
}

/** The bus (STATEGATE_CHANNEL_PROVIDER, defaulting to the cache provider). */
export async function createBus(config: BusConfig, logger: Logger): Promise<BusProvider> {
  switch (config.name) {
    case 'memory':
      return createMemoryBus();
    case 'redis':
      return createRedisBus({ ...connection(config), logger });
    case 'nats':
      return createNatsBus({ ...connection(config), logger });
  }
}

/** Cache and mutex share STATEGATE_CACHE_PROVIDER, as in the seed. */
export async function createCacheAndMutex(
  config: CacheConfig,
  logger: Logger,
): Promise<{ cache: CacheProvider; mutex: MutexProvider }> {
  switch (config.name) {
    case 'memory':
      return { cache: createMemoryCache(), mutex: createMemoryMutex() };
    case 'redis': {
      const cache = await createRedisCache({ ...connection(config), logger });
      try {
        return { cache, mutex: await createRedisMutex({ ...connection(config), logger }) };
      } catch (err) {
        await cache.close();
        throw err;
      }
    }
    case 'nats': {
      const cache = await createNatsCache({ ...connection(config), logger });
      try {
        return { cache, mutex: await createNatsMutex({ ...connection(config), logger }) };
      } catch (err) {
        await cache.close();
        throw err;
      }
    }
  }
}

function connection(config: { url: string; user?: string; password?: string }) {
  return {
    url: config.url,
    ...(config.user !== undefined ? { user: config.user } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
  };
}
