import pg from 'pg';
import type { StorageProvider } from '../../src/core/ports/storage.js';
import { createPostgresStorage, SCHEMA_VERSION } from '../../src/providers/storage/postgres/index.js';
import { unique } from '../contract/helpers.js';
import { describeLogOrderUnderConcurrency } from '../contract/log-order.contract.js';
import { describeSameAnswersAsSqlite } from '../contract/same-answers.contract.js';
import { describeStorageContract, intent } from '../contract/storage.contract.js';

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

  it('a connection lost mid-append fails it with UNAVAILABLE, writes nothing, and the next append recovers', async () => {
    const store = await open(2);
    const blocker = new pg.Client({ connectionString: URL });
    await blocker.connect();
    const target = { domain: unique('lost'), type: 't', key: 'k' };
    try {
      await store.append(intent.set(target, { v: 1 }));
      // Hold the entity's head row so the next append waits on it, then kill the append's backend.
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM entities WHERE domain = $1 AND type = $2 AND key = $3 FOR UPDATE', [
        target.domain,
        target.type,
        target.key,
      ]);
      const blockerPid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const pending = store.append(intent.set(target, { v: 2 }));
      const outcome = pending.then(
        () => 'acknowledged',
        (err: { code?: string }) => err.code,
      );
      let killed = 0;
      for (let i = 0; i < 200 && killed === 0; i++) {
        const { rows } = await blocker.query<{ killed: boolean }>(
          'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
          [blockerPid],
        );
        killed = rows.length;
        if (killed === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(killed).toBe(1);
      expect(await outcome).toBe('UNAVAILABLE');
      await blocker.query('ROLLBACK');

      expect(await store.getEntity(target)).toEqual({ ...target, values: { v: 1 }, version: 1 });
      const next = await store.append(intent.set(target, { v: 3 }));
      expect(next.entity.version).toBe(2);
    } finally {
      await blocker.end();
      await store.close();
    }
  });
});

describeLogOrderUnderConcurrency('postgres', () => open(2), { instances: 'separate pools' });

// Postgres orders objects and arrays by their jsonb text (README), so only their order may differ from sqlite.
describeSameAnswersAsSqlite('postgres', () => open(), { compoundSortOrder: 'any' });
