import pg from 'pg';
import type { StorageProvider } from '../../src/core/ports/storage.js';
import { createPostgresStorage, SCHEMA_VERSION } from '../../src/providers/storage/postgres/index.js';
import { type Blocker, describeConnectionLossMidAppend } from '../contract/connection-loss.contract.js';
import { describeLogOrderUnderConcurrency } from '../contract/log-order.contract.js';
import { describeSameAnswersAsSqlite } from '../contract/same-answers.contract.js';
import { describeStorageContract } from '../contract/storage.contract.js';

/** Started by `scripts/services.sh up`; the tests fail (never skip) when it cannot be reached. */
const URL = process.env.STATEGATE_TEST_POSTGRES_URL ?? 'postgres://stategate:stategate@127.0.0.1:5432/stategate';

async function open(poolSize?: number): Promise<StorageProvider> {
  try {
    return await createPostgresStorage({ url: URL, poolSize });
  } catch (err) {
    throw new Error(`cannot open postgres storage at ${URL} (run scripts/services.sh up): ${(err as Error).message}`, {
      cause: err,
    });
  }
}

describeStorageContract('postgres', () => open());

describe('postgres storage', () => {
  it('records the schema version in schema_migrations', async () => {
    await (await open()).close();
    const client = new pg.Client({ connectionString: URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ v: string }>('SELECT max(version) AS v FROM schema_migrations');
      expect(Number(rows[0]!.v)).toBe(SCHEMA_VERSION);
    } finally {
      await client.end();
    }
  });

  it('fails to start with UNAVAILABLE when the server cannot be reached', async () => {
    await expect(
      createPostgresStorage({ url: 'postgres://stategate:stategate@127.0.0.1:1/stategate', connectTimeoutMs: 1000 }),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

/** Locks a head row in its own transaction; kills the backends waiting on that lock (pg_blocking_pids). */
async function postgresBlocker(): Promise<Blocker> {
  const client = new pg.Client({ connectionString: URL });
  await client.connect();
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  return {
    async lockHead(target) {
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM entities WHERE domain = $1 AND type = $2 AND key = $3 FOR UPDATE', [
        target.domain,
        target.type,
        target.key,
      ]);
    },
    async killWaiters() {
      const { rows } = await client.query<{ killed: boolean }>(
        'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
        [pid],
      );
      return rows.length;
    },
    release: async () => void (await client.query('ROLLBACK')),
    end: () => client.end(),
  };
}

describeConnectionLossMidAppend('postgres', () => open(2), postgresBlocker);

describeLogOrderUnderConcurrency('postgres', () => open(2), { instances: 'separate pools' });

// Postgres orders objects and arrays by their jsonb text (README), so only their order may differ from sqlite.
describeSameAnswersAsSqlite('postgres', () => open(), { compoundSortOrder: 'any' });
