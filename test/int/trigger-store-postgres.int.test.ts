import { hasTriggerStore } from '../../src/core/ports/trigger-store.js';
import { createPostgresStorage } from '../../src/providers/storage/postgres/index.js';
import { needService } from '../contract/helpers.js';
import { describeTriggerStoreContract } from '../contract/trigger-store.contract.js';

/** Started by `scripts/services.sh up`; the tests fail (never skip) when it cannot be reached. */
const URL = process.env.STATEGATE_TEST_POSTGRES_URL ?? 'postgres://stategate:stategate@127.0.0.1:5432/stategate';

describeTriggerStoreContract('postgres', async () => {
  const storage = await needService('postgres', createPostgresStorage({ url: URL, poolSize: 4 }));
  if (!hasTriggerStore(storage)) throw new Error('postgres storage has no trigger store');
  return { store: storage.triggerStore(), close: () => storage.close() };
});
