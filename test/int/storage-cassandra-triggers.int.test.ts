import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { hasTriggerStore } from '../../src/core/ports/trigger-store.js';
import { createCassandraStorage } from '../../src/providers/storage/cassandra/index.js';
import { needService } from '../contract/helpers.js';
import { describeTriggerStoreContract } from '../contract/trigger-store.contract.js';

/** Started by `scripts/services.sh up` (tools/cassandra); the tests fail (never skip) when it cannot be reached. */
const ADDR = process.env.STATEGATE_TEST_CASSANDRA_ADDR ?? '127.0.0.1:9042';
/** This run's own keyspace, dropped at the end. */
const KEYSPACE = `stategate_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

afterAll(async () => {
  const client = new cassandra.Client({ contactPoints: [ADDR], localDataCenter: 'datacenter1' });
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${KEYSPACE}`);
  } finally {
    await client.shutdown();
  }
}, 60_000);

describeTriggerStoreContract('cassandra', async () => {
  const storage = await needService('cassandra', createCassandraStorage({ addr: ADDR, keyspace: KEYSPACE }));
  if (!hasTriggerStore(storage)) throw new Error('cassandra storage has no trigger store');
  return { store: storage.triggerStore(), close: () => storage.close() };
});
