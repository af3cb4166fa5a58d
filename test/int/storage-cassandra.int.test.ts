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

describe('cassandra storage', () => {
  it('fails to start with UNAVAILABLE naming the address (never the password) when no node answers', async () => {
    const failure = createCassandraStorage({
      addr: '127.0.0.1:1',
      user: 'stategate',
      password: 's3cret',
      connectTimeoutMs: 300,
    });
    await expect(failure).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const message = (await failure.catch((err: Error) => err.message)) as string;
    expect(message).toContain('127.0.0.1:1');
    expect(message).not.toContain('s3cret');
  });

  it.each([
    [{ consistency: 'ONE' }, 'consistency'],
    [{ consistency: 'LOCAL_ONE' }, 'consistency'],
    [{ consistency: 'EACH_QUORUM' }, 'consistency'],
    [{ serialConsistency: 'LOCAL_SERIAL' }, 'serialConsistency'],
  ])('refuses options that would weaken a guarantee (%j)', async (options, variable) => {
    await expect(createCassandraStorage({ addr: ADDR, keyspace: KEYSPACE, ...options })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringContaining(variable),
    });
  });

  it('refuses a keyspace name CQL cannot take', async () => {
    await expect(createCassandraStorage({ addr: ADDR, keyspace: 'no-dashes' })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringContaining('keyspace'),
    });
  });

  it('records each schema migration once, however many instances start', async () => {
    const stores = await Promise.all([open(), open()]);
    await Promise.all(stores.map((s) => s.close()));
    const client = new cassandra.Client({ contactPoints: [ADDR], localDataCenter: 'datacenter1' });
    try {
      const rows = (await client.execute(`SELECT version FROM ${KEYSPACE}.migrations`)).rows;
      expect(rows.map((row) => Number(row.version)).sort()).toEqual([1, 2]);
    } finally {
      await client.shutdown();
    }
  });

  it('G3 across instances: of 10 instances writing the same expected version exactly one wins', async () => {
    const stores = await Promise.all(Array.from({ length: 10 }, () => open()));
    const target = { domain: unique('g3'), type: 't', key: 'k' };
    try {
      await stores[0]!.append(intent.set(target, { winner: null }));
      const settled = await Promise.allSettled(
        stores.map((s, i) => s.append(intent.set(target, { winner: i }, { expectedVersion: 1 }))),
      );
      const won = settled.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of settled) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'ABORTED' });
      // Without a precondition, every instance's write lands, each on top of the previous one.
      const all = await Promise.all(stores.map((s, i) => s.append(intent.edit(target, { [`by${i}`]: i }))));
      expect(all.map((e) => e.entity.version).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 10 }, (_, i) => i + 3),
      );
      const final = await stores[5]!.getEntity(target);
      expect(final!.version).toBe(12);
      for (let i = 0; i < 10; i++) expect(final!.values[`by${i}`]).toBe(i);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('an instance that has not written for a while appends right after what others committed meanwhile', async () => {
    const idle = await open();
    const busy = await open();
    const domain = unique('idle');
    try {
      const first = await idle.append(intent.set({ domain, type: 't', key: 'a' }, { n: 1 }));
      const others = [];
      for (let i = 0; i < 5; i++) others.push(await busy.append(intent.set({ domain, type: 't', key: 'b' }, { i })));
      const late = await idle.append(intent.set({ domain, type: 't', key: 'a' }, { n: 2 }));
      expect(late.position).toBe(others[4]!.position + 1);
      expect(late.entity.version).toBe(2);
      expect((await busy.readLog(first.position - 1, 100)).map((e) => e.position)).toEqual(
        Array.from({ length: 7 }, (_, i) => first.position + i),
      );
    } finally {
      await Promise.all([idle.close(), busy.close()]);
    }
  });
});

describeLogOrderUnderConcurrency('cassandra', () => open({ keyspace: `${KEYSPACE}_g4` }), {
  instances: 'separate clients',
  timeoutMs: 300_000,
});

describeSameAnswersAsSqlite('cassandra', () => open({ keyspace: `${KEYSPACE}_g10` }), { timeoutMs: 120_000 });
