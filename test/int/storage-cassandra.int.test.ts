import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import type { StorageProvider } from '../../src/core/ports/storage.js';
import { type CassandraStorageOptions, createCassandraStorage } from '../../src/providers/storage/cassandra/index.js';
import { needService, unique } from '../contract/helpers.js';
import { describeLogOrderUnderConcurrency } from '../contract/log-order.contract.js';
import { describeSameAnswersAsSqlite } from '../contract/same-answers.contract.js';
import { describeStorageContract, intent } from '../contract/storage.contract.js';

/** Started by `scripts/services.sh up` (tools/cassandra); the tests fail (never skip) when it cannot be reached. */
const ADDR = process.env.STATEGATE_TEST_CASSANDRA_ADDR ?? '127.0.0.1:9042';
/** This run's own keyspace, so runs never see each other's log; dropped at the end. */
const KEYSPACE = `stategate_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

function open(options: Partial<CassandraStorageOptions> = {}): Promise<StorageProvider> {
  return needService('cassandra', createCassandraStorage({ addr: ADDR, keyspace: KEYSPACE, ...options }));
}

afterAll(async () => {
  const client = new cassandra.Client({ contactPoints: [ADDR], localDataCenter: 'datacenter1' });
  try {
    for (const keyspace of [KEYSPACE, `${KEYSPACE}_g4`, `${KEYSPACE}_g10`])
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  } finally {
    await client.shutdown();
  }
}, 60_000);

describeStorageContract('cassandra', () => open());

describeLogOrderUnderConcurrency('cassandra', () => open({ keyspace: `${KEYSPACE}_g4` }), {
  instances: 'separate clients',
  timeoutMs: 300_000,
});

describeSameAnswersAsSqlite('cassandra', () => open({ keyspace: `${KEYSPACE}_g10` }), { timeoutMs: 120_000 });
