import type { BusConfig, StorageConfig } from '../config/config.js';
import type { BusProvider } from '../core/ports/bus.js';
import type { CacheProvider, MutexProvider } from '../core/ports/cache.js';
import type { Logger } from '../core/ports/logger.js';
import type { StorageProvider } from '../core/ports/storage.js';
import { createMemoryBus } from './bus/memory-bus.js';
import { createMemoryCache } from './cache/memory-cache.js';
import { createMemoryMutex } from './mutex/memory-mutex.js';
import { createPostgresStorage } from './storage/postgres/postgres-storage.js';
import { createSqliteStorage } from './storage/sqlite/sqlite-storage.js';

/** Opens the storage provider the config names. */
export async function createStorage(config: StorageConfig, logger: Logger): Promise<StorageProvider> {
  switch (config.name) {
    case 'sqlite':
      return createSqliteStorage({ path: config.path, logger });
    case 'postgres':
      return createPostgresStorage({ url: config.url, poolSize: config.poolSize, logger });
  }
}

/** The bus (STATEGATE_CHANNEL_PROVIDER, defaulting to the cache provider). */
export async function createBus(config: BusConfig): Promise<BusProvider> {
  switch (config.name) {
    case 'memory':
      return createMemoryBus();
  }
}

/** Cache and mutex share STATEGATE_CACHE_PROVIDER, as in the seed. */
export async function createCacheAndMutex(config: BusConfig): Promise<{ cache: CacheProvider; mutex: MutexProvider }> {
  switch (config.name) {
    case 'memory':
      return { cache: createMemoryCache(), mutex: createMemoryMutex() };
  }
}
