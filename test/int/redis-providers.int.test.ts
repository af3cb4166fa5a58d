import { createRedisBus } from '../../src/providers/bus/redis-bus.js';
import { createRedisCache } from '../../src/providers/cache/redis-cache.js';
import { createRedisMutex } from '../../src/providers/mutex/redis-mutex.js';
import type { RedisOptions } from '../../src/providers/redis/client.js';
import { describeBusContract } from '../contract/bus.contract.js';
import { describeCacheContract } from '../contract/cache.contract.js';
import { describeBusAcrossInstances, describeMutexAcrossInstances } from '../contract/cluster.contract.js';
import { needService } from '../contract/helpers.js';
import { describeMutexContract } from '../contract/mutex.contract.js';

// A real Redis, started by scripts/services.sh; without one these tests fail, they never skip.
const options: RedisOptions = { url: process.env.STATEGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' };

describeBusContract('redis', () => needService('redis', createRedisBus(options)));
describeCacheContract('redis', () => needService('redis', createRedisCache(options)));
describeMutexContract('redis', () => needService('redis', createRedisMutex(options)));
describeBusAcrossInstances('redis', () => needService('redis', createRedisBus(options)));
describeMutexAcrossInstances('redis', () => needService('redis', createRedisMutex(options)));
