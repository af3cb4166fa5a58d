import { randomUUID } from 'node:crypto';
import { hasTriggerStore } from '../../src/core/ports/trigger-store.js';
import { createMongoStorage } from '../../src/providers/storage/mongo/index.js';
import { needService } from '../contract/helpers.js';
import { describeTriggerStoreContract } from '../contract/trigger-store.contract.js';

/** FerretDB, started by `scripts/services.sh up`; the tests fail (never skip) when it cannot be reached. */
const URL = process.env.STATEGATE_TEST_MONGO_URL ?? 'mongodb://127.0.0.1:27017/stategate';
/** This run's own database (left behind, as test/int/storage-mongo.int.test.ts explains). */
const DATABASE = `stategate_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

describeTriggerStoreContract('mongo', async () => {
  const storage = await needService('ferretdb', createMongoStorage({ url: URL, database: DATABASE, poolSize: 4 }));
  if (!hasTriggerStore(storage)) throw new Error('mongo storage has no trigger store');
  return { store: storage.triggerStore(), close: () => storage.close() };
});
