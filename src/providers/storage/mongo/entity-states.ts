import type { Collection } from 'mongodb';
import type { EntityKey } from '../../../core/model.js';
import { type EventDoc, entityKey, type StateDoc } from './documents.js';
import { type HeadStore, headOf, type LockDoc } from './heads.js';
import type { LatestVersions } from './latest-version.js';

/** Lookups of `many` in flight at once. */
const PARALLEL = 32;

/**
 * The exact latest state of entities, read from their heads (heads.ts): the lock is looked up first, then
 * the head. No lock at that moment means every commit so far has its head written, so the head is exact;
 * a head read after the lock check may only be newer, which is exact too (a later moment). With a lock,
 * or without a head (never written yet, or removed by hand), the events decide (latest-version.ts) —
 * `_id` point reads, which FerretDB answers by a scan, so only then.
 */
export class EntityStates {
  constructor(
    private readonly store: HeadStore,
    private readonly events: Collection<EventDoc>,
    private readonly versions: LatestVersions,
  ) {}

  /** The entity's latest state (a deletion included), or null when it has no events. */
  async latest(key: EntityKey): Promise<StateDoc | null> {
    const lock = await this.store.lock(key);
    return this.resolve(key, lock !== null);
  }

  /** `latest` of each key, in their order; the locks are read once for all of them. */
  async many(keys: readonly EntityKey[]): Promise<(StateDoc | null)[]> {
    const locked = new Set((await this.store.allLocks()).map((lock) => lock._id));
    const results: (StateDoc | null)[] = new Array(keys.length).fill(null);
    const answers = new Map<string, Promise<StateDoc | null>>();
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < keys.length; i = next++) {
        const key = keys[i]!;
        const id = entityKey(key);
        let answer = answers.get(id);
        if (!answer) {
          answer = this.resolve(key, locked.has(id));
          answers.set(id, answer);
        }
        results[i] = await answer;
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, keys.length) }, worker));
    return results;
  }

  /**
   * The latest state of every entity of a domain and type (or only of `keys`), each exact: one read of the
   * locks, then the heads of the type, then the events of the locked ones (their heads may be behind, or
   * missing for an entity whose first event is being written).
   */
  async ofType(domain: string, type: string, keys: string[] | null): Promise<StateDoc[]> {
    const locks = (await this.store.allLocks()).filter(
      (lock: LockDoc) => lock.domain === domain && lock.type === type && (!keys || keys.includes(lock.key)),
    );
    const byKey = new Map<string, StateDoc>();
    if (keys) {
      const heads = await this.many(keys.map((key) => ({ domain, type, key })));
      for (const head of heads) if (head) byKey.set(head.key, head);
    } else {
      for await (const head of this.store.heads.find({ domain, type }, { useBigInt64: true }))
        byKey.set(head.key, head);
    }
    const locked = await Promise.all(locks.map((lock) => this.versions.latest(this.events, lock)));
    for (const doc of locked) if (doc) byKey.set(doc.key, doc);
    return [...byKey.values()];
  }

  /** The exact latest state of every entity (of one domain when given), as `ofType` reads one type. */
  async all(domain: string | null): Promise<StateDoc[]> {
    const locks = (await this.store.allLocks()).filter((lock) => domain === null || lock.domain === domain);
    const byId = new Map<string, StateDoc>();
    const where = domain === null ? {} : { domain };
    for await (const head of this.store.heads.find(where, { useBigInt64: true })) {
      // Only entity heads carry a domain (not the marker of a database whose heads were built).
      if (typeof head.domain === 'string') byId.set(head._id, head);
    }
    const locked = await Promise.all(locks.map((lock) => this.versions.latest(this.events, lock)));
    for (const doc of locked) if (doc) byId.set(entityKey(doc), doc);
    return [...byId.values()];
  }

  private async resolve(key: EntityKey, locked: boolean): Promise<StateDoc | null> {
    if (locked) return this.versions.latest(this.events, key);
    const head = await this.store.head(key);
    if (head) return head;
    const found = await this.versions.latest(this.events, key);
    // No head but events: fill the hole (insert only, so a writer's head is never overwritten).
    if (found) await this.store.fill(headOf(found));
    return found;
  }
}
