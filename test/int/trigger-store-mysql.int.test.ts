import { hasTriggerStore } from '../../src/core/ports/trigger-store.js';
import { createMysqlStorage } from '../../src/providers/storage/mysql/index.js';
import { needService } from '../contract/helpers.js';
import { describeTriggerStoreContract } from '../contract/trigger-store.contract.js';

/** Started by `scripts/services.sh up`; the tests fail (never skip) when it cannot be reached. */
const URL = process.env.STATEGATE_TEST_MYSQL_URL ?? 'mysql://stategate:stategate@127.0.0.1:3306/stategate';

describeTriggerStoreContract('mysql', async () => {
  const storage = await needService('mariadb', createMysqlStorage({ url: URL, poolSize: 4 }));
  if (!hasTriggerStore(storage)) throw new Error('mysql storage has no trigger store');
  return { store: storage.triggerStore(), close: () => storage.close() };
});
