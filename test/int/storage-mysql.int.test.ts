import { randomUUID } from 'node:crypto';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import type { StorageProvider } from '../../src/core/ports/storage.js';
import { createMysqlStorage, SCHEMA_VERSION } from '../../src/providers/storage/mysql/index.js';
import { type Blocker, describeConnectionLossMidAppend } from '../contract/connection-loss.contract.js';
import { needService, unique } from '../contract/helpers.js';
import { describeLogOrderUnderConcurrency } from '../contract/log-order.contract.js';
import { describeSameAnswersAsSqlite } from '../contract/same-answers.contract.js';
import { describeStorageContract, intent } from '../contract/storage.contract.js';

/** Started by `scripts/services.sh up` (MariaDB); the tests fail (never skip) when it cannot be reached. */
const URL = process.env.STATEGATE_TEST_MYSQL_URL ?? 'mysql://stategate:stategate@127.0.0.1:3306/stategate';

const open = (poolSize?: number): Promise<StorageProvider> =>
  needService(`MariaDB at ${URL}`, createMysqlStorage({ url: URL, poolSize }));

/** A plain client for what the tests do behind the provider's back. */
const client = () => mysql.createConnection({ uri: URL, supportBigNumbers: true, bigNumberStrings: true });

describeStorageContract('mysql', () => open());

/** Locks a head row in its own transaction; kills this user's other connections waiting to lock one. */
async function mysqlBlocker(): Promise<Blocker> {
  const conn = await client();
  return {
    async lockHead(target) {
      await conn.query('START TRANSACTION');
      await conn.query('SELECT 1 FROM `entities` WHERE `domain` = ? AND `type` = ? AND `key` = ? FOR UPDATE', [
        target.domain,
        target.type,
        target.key,
      ]);
    },
    async killWaiters() {
      // The waiting append: this user's other connection, blocked reading the entity's head row.
      const [rows] = await conn.query<RowDataPacket[]>(
        `SELECT ID AS id FROM information_schema.PROCESSLIST
         WHERE ID <> CONNECTION_ID() AND USER = ? AND INFO LIKE 'SELECT \`version\`%FOR UPDATE'`,
        [new globalThis.URL(URL).username],
      );
      for (const row of rows) await conn.query(`KILL ${Number(row.id)}`);
      return rows.length;
    },
    release: async () => void (await conn.query('ROLLBACK')),
    end: () => conn.end(),
  };
}

describe('mysql storage', () => {
  it('records the schema version in schema_migrations', async () => {
    await (await open()).close();
    const conn = await client();
    try {
      const [rows] = await conn.query<RowDataPacket[]>('SELECT MAX(`version`) AS v FROM `schema_migrations`');
      expect(Number(rows[0]!.v)).toBe(SCHEMA_VERSION);
    } finally {
      await conn.end();
    }
  });

  it('migrates a new database once when instances start together, and refuses a newer schema', async () => {
    // A scratch database (scripts/services.sh grants stategate_*); the name is ours, hex only.
    const name = `stategate_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const url = new globalThis.URL(URL);
    url.pathname = `/${name}`;
    const admin = await client();
    await admin.query(`CREATE DATABASE \`${name}\``);
    try {
      const stores = await Promise.all(
        Array.from({ length: 4 }, () => createMysqlStorage({ url: url.toString(), poolSize: 1 })),
      );
      // Positions start at 1 and leave no gaps.
      const first = await stores[0]!.append(intent.set({ domain: 'd', type: 't', key: 'k' }, { v: 1 }));
      const second = await stores[3]!.append(intent.set({ domain: 'd', type: 't', key: 'k' }, { v: 2 }));
      expect([first.position, second.position]).toEqual([1, 2]);
      await Promise.all(stores.map((s) => s.close()));
      const [rows] = await admin.query<RowDataPacket[]>(
        `SELECT \`version\` FROM \`${name}\`.\`schema_migrations\` ORDER BY \`version\``,
      );
      expect(rows.map((r) => Number(r.version))).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));

      await admin.query(
        `INSERT INTO \`${name}\`.\`schema_migrations\` (\`version\`, \`description\`) VALUES (?, 'from the future')`,
        [SCHEMA_VERSION + 1],
      );
      await expect(createMysqlStorage({ url: url.toString() })).rejects.toMatchObject({
        code: 'FAILED_PRECONDITION',
        message: expect.stringContaining(`schema version ${SCHEMA_VERSION + 1} is newer`),
      });
    } finally {
      await admin.query(`DROP DATABASE \`${name}\``);
      await admin.end();
    }
  });

  it('fails to start with UNAVAILABLE naming the address, the password masked, when the server cannot be reached', async () => {
    const failure = createMysqlStorage({
      url: 'mysql://stategate:s3cret@127.0.0.1:1/stategate',
      connectTimeoutMs: 1000,
    });
    await expect(failure).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const message = await failure.catch((err: Error) => err.message);
    expect(message).toContain('mysql at mysql://stategate:***@127.0.0.1:1/stategate');
    expect(message).not.toContain('s3cret');
  });

  it('compares names byte by byte: no case folding and no trailing-space padding', async () => {
    const store = await open();
    const domain = unique('names');
    try {
      await store.append(intent.set({ domain, type: 't', key: 'a' }, { v: 'a' }));
      await store.append(intent.set({ domain, type: 't', key: 'A' }, { v: 'A' }));
      await store.append(intent.set({ domain, type: 't', key: 'a ' }, { v: 'a ' }));
      expect((await store.getEntity({ domain, type: 't', key: 'a' }))!.values).toEqual({ v: 'a' });
      expect((await store.getEntity({ domain, type: 't', key: 'a ' }))!.values).toEqual({ v: 'a ' });
      expect(await store.getEntity({ domain, type: 't', key: 'a  ' })).toBeNull();
      const all = await store.searchEntities({ domain, type: 't', filter: null, sort: null, limit: 10, offset: 0 });
      expect(all.map((e) => e.key)).toEqual(['A', 'a', 'a ']);
    } finally {
      await store.close();
    }
  });

  it('a statement MariaDB does not answer in time fails the append UNAVAILABLE, and it is never applied', async () => {
    const store = await needService(`MariaDB at ${URL}`, createMysqlStorage({ url: URL, queryTimeoutMs: 300 }));
    const blocker = await mysqlBlocker();
    const target = { domain: unique('hang'), type: 't', key: 'k' };
    try {
      await store.append(intent.set(target, { v: 1 }));
      // The head row stays locked well past the statement timeout: to the append, MariaDB hangs.
      await blocker.lockHead(target);
      const began = performance.now();
      await expect(store.append(intent.set(target, { v: 2 }))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect(performance.now() - began).toBeLessThan(3000);
      // Released: the abandoned statement gets its lock on the server, but its transaction cannot commit.
      await blocker.release();
      const next = await store.append(intent.set(target, { v: 3 }));
      expect(next.entity).toEqual({ ...target, values: { v: 3 }, version: 2 });
      expect((await store.getEventByVersion(target, 3)) ?? null).toBeNull();
      expect(await store.getEntity(target)).toEqual({ ...target, values: { v: 3 }, version: 2 });
    } finally {
      await blocker.end();
      await store.close();
    }
  });
});

describeConnectionLossMidAppend('mysql', () => open(2), mysqlBlocker);

describeLogOrderUnderConcurrency('mysql', () => open(2), { instances: 'separate pools' });

describeSameAnswersAsSqlite('mysql', () => open());
