import { randomUUID } from 'node:crypto';
import type { StorageProvider } from '../../src/core/ports/storage.js';
import { createMongoStorage, type MongoStorageOptions } from '../../src/providers/storage/mongo/index.js';
import { needService, unique } from '../contract/helpers.js';
import { describeLogOrderUnderConcurrency } from '../contract/log-order.contract.js';
import { describeSameAnswersAsSqlite } from '../contract/same-answers.contract.js';
import { describeStorageContract, intent } from '../contract/storage.contract.js';

/** Started by `scripts/services.sh up` (FerretDB); the tests fail (never skip) when it cannot be reached. */
const URL = process.env.STATEGATE_TEST_MONGO_URL ?? 'mongodb://127.0.0.1:27017/stategate';
/**
 * This run's own databases, so runs never see each other's log. They are left behind (a few hundred KB):
 * FerretDB 1.24 crashes (SIGBUS in SQLite) when a database is dropped while any connection still uses it.
 */
const DATABASE = `stategate_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

function open(options: Partial<MongoStorageOptions> = {}): Promise<StorageProvider> {
  return needService('mongo (FerretDB)', createMongoStorage({ url: URL, database: DATABASE, ...options }));
}

describeStorageContract('mongo', () => open());

describe('mongo storage', () => {
  it('fails to start with UNAVAILABLE naming the address (password masked) when the server cannot be reached', async () => {
    const failure = createMongoStorage({
      url: 'mongodb://stategate:s3cret@127.0.0.1:1/stategate',
      connectTimeoutMs: 300,
    });
    await expect(failure).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const message = (await failure.catch((err: Error) => err.message)) as string;
    expect(message).toContain('mongodb://stategate:***@127.0.0.1:1/stategate');
    expect(message).not.toContain('s3cret');
  });

  it.each(['w=1', 'journal=false', 'readPreference=secondary', 'readConcernLevel=local'])(
    'refuses an address whose options weaken a guarantee (%s)',
    async (option) => {
      await expect(createMongoStorage({ url: `${URL}?${option}` })).rejects.toMatchObject({
        code: 'FAILED_PRECONDITION',
        message: expect.stringContaining(option.split('=')[0]!),
      });
    },
  );

  it('G3 across instances: of 10 instances writing the same expected version exactly one wins', async () => {
    const stores = await Promise.all(Array.from({ length: 10 }, () => open({ poolSize: 2 })));
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

  it('an instance that has not written for a while appends after what others committed meanwhile', async () => {
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

/*
 * A fresh database for G4: FerretDB scans a collection for every query but one on `_id`, so the events the
 * rest of this file wrote would only slow the log reads down.
 */
describeLogOrderUnderConcurrency('mongo', () => open({ poolSize: 2, database: `${DATABASE}_g4` }), {
  instances: 'separate clients',
  timeoutMs: 300_000,
  perWriter: 10,
});

// Its own database too, for the same reason: only the 60 entities of the comparison are scanned.
describeSameAnswersAsSqlite('mongo', () => open({ database: `${DATABASE}_g10` }), { timeoutMs: 120_000 });
