import { randomUUID } from 'node:crypto';
import { type Db, MongoClient } from 'mongodb';
import type { StorageProvider } from '../../src/core/ports/storage.js';
import { entityKey } from '../../src/providers/storage/mongo/documents.js';
import { type HeadDoc, LOCK_LEASE_MS, type LockDoc } from '../../src/providers/storage/mongo/heads.js';
import { createMongoStorage } from '../../src/providers/storage/mongo/index.js';
import { needService, unique } from '../contract/helpers.js';
import { intent } from '../contract/storage.contract.js';

/*
 * The mongo provider's heads (src/providers/storage/mongo/heads.ts) under the states a crash leaves them
 * in, produced directly in the database: a writer that died after committing an event and before writing
 * its head leaves its lock behind and the head one version behind; one that died after its first event
 * leaves a lock and no head. Every answer must still be exact, and the next writer must go on from the
 * events. Started by `scripts/services.sh up` (FerretDB); fails, never skips, without it.
 */
const URL = process.env.STATEGATE_TEST_MONGO_URL ?? 'mongodb://127.0.0.1:27017/stategate';
/** Its own database (left behind: FerretDB 1.24 crashes when a database in use is dropped). */
const DATABASE = `stategate_test_heads_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

let client: MongoClient;
let db: Db;
const stores: StorageProvider[] = [];

async function open(database = DATABASE): Promise<StorageProvider> {
  const store = await needService('mongo (FerretDB)', createMongoStorage({ url: URL, database }));
  stores.push(store);
  return store;
}

beforeAll(async () => {
  client = new MongoClient(URL, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  db = client.db(DATABASE);
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await client?.close();
});

const heads = () => db.collection<HeadDoc>('heads');
const locks = () => db.collection<LockDoc>('locks');

/** The lock a writer that took it at `since` and then died leaves behind. */
function leftLock(target: { domain: string; type: string; key: string }, since: number): LockDoc {
  return { _id: entityKey(target), ...target, token: `dead-${randomUUID()}`, since };
}

/** Writes v1…v3, then puts back the v2 head and a lock: a writer died between committing v3 and its head. */
async function diedAfterCommit(since: number) {
  const writer = await open();
  const target = { domain: unique('crash'), type: 't', key: 'k' };
  await writer.append(intent.set(target, { n: 1 }));
  await writer.append(intent.set(target, { n: 2 }));
  const behind = await heads().findOne({ _id: entityKey(target) });
  const v3 = await writer.append(intent.set(target, { n: 3 }));
  await heads().replaceOne({ _id: entityKey(target) }, behind!);
  await locks().insertOne(leftLock(target, since));
  expect((await heads().findOne({ _id: entityKey(target) }))!.version).toBe(2);
  return { target, v3 };
}

describe('mongo heads: exact answers from the states a crash leaves', () => {
  it('a lock left by a writer that died after its commit: another instance reads the committed version, not the head', async () => {
    const { target, v3 } = await diedAfterCommit(Date.now());
    const reader = await open();
    expect(await reader.getEntity(target)).toEqual(v3.entity);
    expect(await reader.getEntities([target, target])).toEqual([v3.entity, v3.entity]);
    const found = await reader.searchEntities({
      domain: target.domain,
      type: 't',
      filter: null,
      sort: null,
      limit: 10,
      offset: 0,
    });
    expect(found).toEqual([v3.entity]);
    expect(await reader.getEventAt(target, v3.time)).toEqual(v3);
  });

  it('an expired lock is taken over by the next writer, which plans on the events and repairs the head', async () => {
    const { target, v3 } = await diedAfterCommit(Date.now() - 2 * LOCK_LEASE_MS);
    const writer = await open();
    // The head says 2, the events say 3: a precondition on 3 must pass, one on 2 must be refused.
    await expect(writer.append(intent.set(target, { n: 0 }, { expectedVersion: 2 }))).rejects.toMatchObject({
      code: 'ABORTED',
    });
    const v4 = await writer.append(intent.edit(target, { m: 4 }, { expectedVersion: 3 }));
    expect(v4.entity).toEqual({ ...v3.entity, values: { n: 3, m: 4 }, version: 4 });
    expect(await locks().findOne({ _id: entityKey(target) })).toBeNull();
    expect(await heads().findOne({ _id: entityKey(target) })).toMatchObject({ version: 4, deleted: false });
    expect(await (await open()).getEntity(target)).toEqual(v4.entity);
  });

  it('an entity whose first event was committed by a writer that died (a lock, no head) is found by Get and search', async () => {
    const writer = await open();
    const target = { domain: unique('first'), type: 't', key: 'k' };
    const other = { ...target, key: 'other' };
    const v1 = await writer.append(intent.set(target, { first: true }));
    const o1 = await writer.append(intent.set(other, { first: false }));
    await heads().deleteMany({ _id: entityKey(target) });
    await locks().insertOne(leftLock(target, Date.now()));
    const reader = await open();
    expect(await reader.getEntity(target)).toEqual(v1.entity);
    const query = { domain: target.domain, type: 't', filter: null, sort: null, limit: 10, offset: 0 };
    expect(await reader.searchEntities(query)).toEqual([v1.entity, o1.entity]);
    expect(await reader.listTypes({ domain: target.domain, limit: 10, offset: 0 })).toEqual([
      { domain: target.domain, type: 't', count: 2 },
    ]);
  });

  it('a head removed by hand: Get answers from the events and puts the head back', async () => {
    const writer = await open();
    const target = { domain: unique('removed'), type: 't', key: 'k' };
    await writer.append(intent.set(target, { n: 1 }));
    const v2 = await writer.append(intent.edit(target, { n: 2 }));
    await heads().deleteMany({ _id: entityKey(target) });
    const reader = await open();
    expect(await reader.getEntity(target)).toEqual(v2.entity);
    expect(await heads().findOne({ _id: entityKey(target) })).toMatchObject({ version: 2, values: '{"n":2}' });
    // A writer that plans on the missing head (a new entity) is refused by version 1's `_id` and re-plans.
    await heads().deleteMany({ _id: entityKey(target) });
    const v3 = await (await open()).append(intent.edit(target, { n: 3 }));
    expect(v3.entity.version).toBe(3);
    expect(await reader.getEntity(target)).toEqual(v3.entity);
  });

  it('a deletion leaves a tombstone head: the entity is gone and its version sequence goes on', async () => {
    const writer = await open();
    const target = { domain: unique('tomb'), type: 't', key: 'k' };
    await writer.append(intent.set(target, { n: 1 }));
    await writer.append(intent.del(target));
    expect(await heads().findOne({ _id: entityKey(target) })).toMatchObject({ version: 2, deleted: true });
    expect(await (await open()).getEntity(target)).toBeNull();
    expect((await writer.append(intent.set(target, { n: 3 }))).entity.version).toBe(3);
  });

  it('a batch of many entities writes every head and releases every lock', async () => {
    const writer = await open();
    const domain = unique('batch');
    const events = await Promise.all(
      Array.from({ length: 150 }, (_, i) => writer.append(intent.set({ domain, type: 't', key: `k${i}` }, { i }))),
    );
    const stored = await heads().find({ domain }).toArray();
    expect(stored).toHaveLength(150);
    for (const head of stored) expect(head.version).toBe(1);
    expect(await locks().countDocuments({ domain })).toBe(0);
    const reader = await open();
    expect(await reader.getEntities(events.map((e) => e.entity))).toEqual(events.map((e) => e.entity));
  });

  it('a database written before heads existed gets them built from its events when an instance opens it', async () => {
    const database = `${DATABASE}_old`;
    const writer = await open(database);
    const domain = unique('old');
    const a = await writer.append(intent.set({ domain, type: 't', key: 'a' }, { v: 1 }));
    const b1 = await writer.append(intent.set({ domain, type: 't', key: 'b' }, { v: 1 }));
    const b2 = await writer.append(intent.edit({ domain, type: 't', key: 'b' }, { v: 2 }));
    // What an older stategate leaves: the events only.
    await client.db(database).collection('heads').deleteMany({});
    const reader = await open(database);
    expect(await client.db(database).collection('heads').countDocuments({ domain })).toBe(2);
    const query = { domain, type: 't', filter: null, sort: null, limit: 10, offset: 0 };
    expect(await reader.searchEntities(query)).toEqual([a.entity, b2.entity]);
    expect(b1.entity.version).toBe(1);
  });
});
