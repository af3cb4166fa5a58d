import type { Collection, Db } from 'mongodb';
import type { EntityKey } from '../../../core/model.js';
import { type EventDoc, entityKey, toBigInt, toLong } from './documents.js';

/*
 * Heads and locks: how Get, the version check and entity search avoid reading the event collection.
 *
 * FerretDB 1.24 on SQLite uses no index for any query: even its `_id` pushdown compares an expression
 * (`_ferretdb_sjson->'$._id'`) that is not the one its `_id` index is built on (`_ferretdb_sjson->"_id"`),
 * so a lookup scans the table up to the document, and a lookup that finds nothing scans all of it. Only
 * an insert consults the unique indexes. So every read must look where the table is small:
 *
 * - `heads`: one document per entity, `_id` = (domain, type, key), holding the state of its latest event
 *   (version, values, time, deleted). Small (one per entity, not one per event).
 * - `locks`: one document per entity that a writer is writing right now, `_id` = (domain, type, key).
 *   Inserting it is the lock (the unique `_id` refuses a second holder); deleting it releases. Tiny: only
 *   writes in flight, so looking for a lock that is not there costs next to nothing.
 *
 * The event insert stays the commit point. A writer takes the entity's lock, inserts the events, writes
 * the head, and only then releases the lock; nothing else ever writes a head of an existing document. So:
 * no lock ⇒ the head is exact (every commit so far had its head written before its lock went away). A lock
 * ⇒ a writer is between commit and head (or died there): the reader asks the events (latest-version.ts).
 * A writer that dies leaves its lock behind; after LOCK_LEASE_MS another writer may take it over
 * (`steal`) and re-reads the entity from the events, since the dead one may have committed without
 * writing the head. A live writer stops writing heads LOCK_LEASE_MS / 2 after it took its locks, so a
 * lease taken over is never written to by its old holder (as with any lease: clocks must roughly agree).
 */

/** How long a lock protects its holder; an older lock is taken to be left by a writer that died. */
export const LOCK_LEASE_MS = 30_000;
/**
 * A holder writes heads only this long after it took its first lock (then leaves them to expire): the rest
 * of the lease is the margin for a head write still on its way (longer than the 10 s operation timeout).
 */
export const HEAD_DEADLINE_MS = LOCK_LEASE_MS / 2;

/** The state an entity's latest event left it in (`deleted`: a tombstone, values are the state before). */
export interface HeadDoc {
  /** entityKey: JSON of (domain, type, key). */
  _id: string;
  domain: string;
  type: string;
  key: string;
  version: number;
  values: string;
  deleted: boolean;
  time: EventDoc['time'];
}

export interface LockDoc {
  _id: string;
  domain: string;
  type: string;
  key: string;
  /** The holder's; it releases only locks carrying it. */
  token: string;
  /** When the holder took it (its clock, ms). */
  since: number;
}

/**
 * Head replacements per bulkWrite: FerretDB 1.24 stops answering a bulk of about 100 updates of existing
 * documents (and locks that database's file while it hangs), while 64 still pass.
 */
const HEAD_CHUNK = 16;

/** Marks a database whose heads were built from its events (databases written before heads existed). */
const BACKFILLED = '"heads built"';

export function headOf(doc: EventDoc): HeadDoc {
  return {
    _id: entityKey(doc),
    domain: doc.domain,
    type: doc.type,
    key: doc.key,
    version: doc.version,
    values: doc.values,
    deleted: doc.deleted,
    time: doc.time,
  };
}

export function lockExpired(lock: LockDoc, now = Date.now()): boolean {
  return now - Number(lock.since) > LOCK_LEASE_MS;
}

export class HeadStore {
  readonly heads: Collection<HeadDoc>;
  readonly locks: Collection<LockDoc>;

  constructor(db: Db, readConcern: 'local' | 'majority' | string) {
    const options = { readConcern: { level: readConcern as 'local' } };
    this.heads = db.collection<HeadDoc>('heads', options);
    this.locks = db.collection<LockDoc>('locks', options);
  }

  head(key: EntityKey): Promise<HeadDoc | null> {
    return this.heads.findOne({ _id: entityKey(key) }, { useBigInt64: true });
  }

  lock(key: EntityKey): Promise<LockDoc | null> {
    return this.locks.findOne({ _id: entityKey(key) });
  }

  /** Every lock held now (the collection is tiny: writes in flight). */
  allLocks(): Promise<LockDoc[]> {
    return this.locks.find({}).toArray();
  }

  /**
   * Takes the locks of these entities in their key order (two instances never wait for each other in a
   * circle), waiting for held ones and taking over expired ones. Returns when the first of them was taken
   * (the lease runs from then) and the ids taken over: their heads may be behind their events. Throws once
   * `deadline` passes; the locks taken so far are then released.
   */
  async acquire(keys: EntityKey[], token: string, deadline: number): Promise<{ since: number; stolen: Set<string> }> {
    const wanted = [...new Map(keys.map((k) => [entityKey(k), k])).entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const stolen = new Set<string>();
    let taken = 0;
    let first: number | undefined;
    let pause = 1;
    try {
      while (taken < wanted.length) {
        const since = Date.now();
        const docs = wanted
          .slice(taken)
          .map(([id, k]) => ({ _id: id, domain: k.domain, type: k.type, key: k.key, token, since }));
        try {
          await this.locks.insertMany(docs, { ordered: true });
          return { since: first ?? since, stolen };
        } catch (err) {
          const refused = (err as { writeErrors?: { index?: number; code?: number }[] }).writeErrors?.[0];
          const code = refused?.code ?? (err as { code?: unknown }).code;
          if (code !== 11000) throw err;
          const more = typeof refused?.index === 'number' ? refused.index : 0;
          if (more > 0) first ??= since;
          taken += more;
        }
        const [id] = wanted[taken]!;
        const holder = await this.locks.findOne({ _id: id });
        if (holder && lockExpired(holder)) {
          // Left by a writer that died (or stalled past its lease): remove exactly that lock and retry.
          await this.locks.deleteMany({ _id: id, token: holder.token });
          stolen.add(id);
          continue;
        }
        if (Date.now() > deadline) throw new Error(`entity ${id} stayed locked by another writer`);
        await sleep(Math.random() * pause);
        pause = Math.min(50, pause * 2);
      }
      return { since: first ?? Date.now(), stolen };
    } catch (err) {
      await this.release(
        wanted.slice(0, taken).map(([id]) => id),
        token,
      ).catch(() => undefined);
      throw err;
    }
  }

  /** Releases these locks if they are still this holder's. */
  async release(ids: string[], token: string): Promise<void> {
    if (ids.length === 0) return;
    await this.locks.deleteMany({ _id: { $in: ids }, token });
  }

  /** Writes the heads of entities this holder committed events of (its locks are held). */
  async write(heads: HeadDoc[]): Promise<void> {
    if (heads.length === 0) return;
    for (let i = 0; i < heads.length; i += HEAD_CHUNK) {
      await this.heads.bulkWrite(
        heads.slice(i, i + HEAD_CHUNK).map((head) => ({
          replaceOne: {
            filter: { _id: head._id },
            replacement: { ...head, time: toLong(toBigInt(head.time)) },
            upsert: true,
          },
        })),
        { ordered: false },
      );
    }
  }

  /**
   * Inserts a head a reader rebuilt from the events while no lock was held; never overwrites one (a writer's
   * newer head wins; this one only fills a hole, e.g. a head document removed by hand).
   */
  async fill(head: HeadDoc): Promise<void> {
    try {
      await this.heads.insertOne({ ...head, time: toLong(toBigInt(head.time)) });
    } catch (err) {
      if ((err as { code?: unknown }).code !== 11000) throw err;
    }
  }

  /**
   * A database written before heads existed gets them built once from its events (a full read of the
   * collection). Inserts only, so a head a writer of this version wrote meanwhile is never overwritten.
   */
  async backfill(events: Collection<EventDoc>): Promise<void> {
    if (await this.heads.findOne({ _id: BACKFILLED })) return;
    const latest = new Map<string, HeadDoc>();
    for await (const doc of events.find({}, { projection: { claims: 0 }, useBigInt64: true })) {
      const id = entityKey(doc);
      if ((latest.get(id)?.version ?? 0) < doc.version) latest.set(id, headOf(doc));
    }
    const heads = [...latest.values()];
    for (let i = 0; i < heads.length; i += 500) {
      try {
        await this.heads.insertMany(
          heads.slice(i, i + 500).map((h) => ({ ...h, time: toLong(toBigInt(h.time)) })),
          { ordered: false },
        );
      } catch (err) {
        const errors = (err as { writeErrors?: { code?: number }[] }).writeErrors;
        if (!errors || errors.some((e) => e.code !== 11000)) throw err;
      }
    }
    await this.heads
      .insertOne({ _id: BACKFILLED } as HeadDoc)
      .catch((err: { code?: unknown }) => (err.code === 11000 ? undefined : Promise.reject(err)));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
