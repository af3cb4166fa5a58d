import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StategateError } from '../../src/core/errors.js';
import type { StorageProvider } from '../../src/core/ports/storage.js';
import { createSqliteStorage, SCHEMA_VERSION } from '../../src/providers/storage/sqlite/index.js';
import { describeStorageContract, intent, T0 } from '../contract/storage.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'stategate-sqlite-'));
let files = 0;
const tempPath = () => join(dir, `nested-${++files}`, 'store.db');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStorageContract('sqlite (file)', async () => createSqliteStorage({ path: tempPath() }));
describeStorageContract('sqlite (:memory:)', async () => createSqliteStorage({ path: ':memory:' }));
describeStorageContract('sqlite (file, batches of 3)', async () =>
  createSqliteStorage({ path: tempPath(), maxBatch: 3 }),
);

describe('sqlite storage', () => {
  const key = { domain: 'd', type: 't', key: 'k' };

  it('keeps data across close and reopen, and continues versions and positions', async () => {
    const path = tempPath();
    let store: StorageProvider = createSqliteStorage({ path });
    const first = await store.append(intent.set(key, { a: 1 }, { time: T0 + 7n }));
    await store.append(intent.del(key));
    await store.close();

    store = createSqliteStorage({ path });
    try {
      expect(await store.getEntity(key)).toBeNull();
      expect(await store.getEventByVersion(key, 1)).toEqual(first);
      expect(await store.headPosition()).toBe(first.position + 1);
      const next = await store.append(intent.set(key, { a: 2 }));
      expect(next.entity.version).toBe(3);
      expect(next.position).toBe(first.position + 2);
    } finally {
      await store.close();
    }
  });

  it('commits appends still queued at close', async () => {
    const path = tempPath();
    const store = createSqliteStorage({ path });
    const pending = [1, 2, 3].map((i) => store.append(intent.set({ ...key, key: `k${i}` }, { i })));
    await store.close();
    await Promise.all(pending);

    const reopened = createSqliteStorage({ path });
    try {
      expect((await reopened.readLog(0, 10)).map((e) => e.entity.values)).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
    } finally {
      await reopened.close();
    }
  });

  it('creates the file durable: WAL journal, schema version recorded', async () => {
    const path = tempPath();
    await createSqliteStorage({ path }).close();
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    } finally {
      db.close();
    }
  });

  it('refuses a database written by a newer schema', async () => {
    const path = tempPath();
    await createSqliteStorage({ path }).close();
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => createSqliteStorage({ path })).toThrow(expect.objectContaining({ code: 'FAILED_PRECONDITION' }));
  });

  it('fails a whole batch with UNAVAILABLE when the file is locked, acknowledging none of it, then recovers', async () => {
    const path = tempPath();
    const store = createSqliteStorage({ path, busyTimeoutMs: 50 });
    const blocker = new Database(path);
    try {
      blocker.exec('BEGIN IMMEDIATE');
      const settled = await Promise.allSettled(
        [1, 2, 3].map((i) => store.append(intent.set({ ...key, key: `k${i}` }, { i }))),
      );
      for (const s of settled) {
        expect(s.status).toBe('rejected');
        const reason = (s as PromiseRejectedResult).reason as StategateError;
        expect(reason).toBeInstanceOf(StategateError);
        expect(reason.code).toBe('UNAVAILABLE');
        expect((reason.cause as { code?: string }).code).toBe('SQLITE_BUSY');
      }
      blocker.exec('ROLLBACK');
      expect(await store.headPosition()).toBe(0);
      const ok = await store.append(intent.set(key, { ok: true }));
      expect(ok.entity.version).toBe(1);
    } finally {
      blocker.close();
      await store.close();
    }
  });

  it('reads after close are UNAVAILABLE', async () => {
    const store = createSqliteStorage({ path: ':memory:' });
    await store.close();
    await expect(store.getEntity(key)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(store.readLog(0, 1)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
