import { randomUUID } from 'node:crypto';
import { type KvEntry, StorageType } from 'nats';
import { aborted, invalid, unavailable } from '../../core/errors.js';
import type { MutexLease } from '../../core/model.js';
import type { MutexProvider, UnlockOutcome } from '../../core/ports/cache.js';
import {
  connectNats,
  ensureConnected,
  isWrongLastSequence,
  type NatsOptions,
  natsCall,
  openBucket,
  pingBucket,
} from '../nats/client.js';
import { pairKey } from '../nats/keys.js';

/** Options of the NATS mutex: where NATS is (see NatsOptions). */
export type NatsMutexOptions = NatsOptions;

/**
 * The bucket. Its name is fixed, and stategate never deletes or recreates it: its revisions are the fencing
 * numbers (see createNatsMutex), and a new bucket would count from 1 again.
 */
const BUCKET = 'stategate_mutex';
/** The longest lease STATEGATE_MUTEX_MAX_TTL_MS allows. */
const LONGEST_LEASE_MS = 24 * 60 * 60_000;
/**
 * Room between the longest lease and the bucket TTL, for clock skew between NATS and stategate: the
 * bucket TTL removes a lease's message on the NATS server's clock, and it must never do so while the
 * lease is live, or the key could be granted twice.
 */
const SKEW_MARGIN_MS = 60 * 60_000;
/** How often a lock or an untokened unlock re-reads the key after losing a race before giving up. */
const ATTEMPTS = 3;

/** What one KV entry holds while a key is locked: the lease's token and expiry (ms since the epoch). */
type Held = { t: string; e: number };

const encoder = new TextEncoder();
const heldIn = (entry: KvEntry | null): Held | null => (entry?.operation === 'PUT' ? entry.json<Held>() : null);

/**
 * TTL locks over a JetStream KV bucket (G7), for any number of stategate instances sharing one NATS.
 *
 * Exclusion. A grant is a KV `create` (fails while the key has a value) or, when the stored lease has
 * expired, an `update` with the revision just read — a compare-and-set, so of many callers exactly one
 * wins, and an expired lease is never freed by a delete-then-create race. Unlock is a delete with the
 * revision of the lease it checked, so it can only remove that lease, never the next holder's. NATS 2.9
 * has no per-key TTL, so each lease stores its expiry and is judged on the wall clock of the instance
 * that reads it: clock skew between stategate instances shortens or stretches a lease by that skew. The
 * bucket TTL (25 h) only removes leftovers: expired leases nobody took over and unlock markers.
 *
 * Fencing. The fencing number of a grant is the revision of the message that granted it, which is the
 * sequence number of that message in the bucket's stream. JetStream gives every message of a stream a
 * sequence one higher than the last, whoever publishes it, and never reuses one: not after deletes,
 * purges or TTL removal (the stream keeps its last sequence even when empty), not after a NATS restart
 * (file storage; also after a killed server), and stategate's restarts do not touch it. So fencing numbers
 * strictly increase across every grant of every key, across instances and restarts — as long as the
 * bucket is never deleted (stategate never does) and NATS does not lose acknowledged writes (its disk
 * survives; NATS 2.9 flushes to disk periodically, so an OS crash can lose the last grants).
 */
export async function createNatsMutex(options: NatsMutexOptions): Promise<MutexProvider> {
  const nc = await connectNats(options, 'mutex');
  const { kv, ttlMs: bucketTtl } = await openBucket(nc, options, BUCKET, {
    history: 1,
    storage: StorageType.File,
    ttl: LONGEST_LEASE_MS + SKEW_MARGIN_MS,
  });
  // A bucket created earlier with another TTL sets the longest lease this instance grants.
  const maxLeaseMs = bucketTtl > 0 ? bucketTtl - SKEW_MARGIN_MS : Number.POSITIVE_INFINITY;
  let closed = false;

  const ensureOpen = () => {
    if (closed) throw unavailable('nats mutex is closed');
    ensureConnected(nc, 'mutex');
  };

  /** One attempt to grant `k`: its fencing number, null while held, or 'retry' after losing a race. */
  async function tryGrant(k: string, held: Held): Promise<number | null | 'retry'> {
    const data = encoder.encode(JSON.stringify(held));
    try {
      return await kv.create(k, data);
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
    const entry = await kv.get(k);
    const current = heldIn(entry);
    if (!entry || !current) return 'retry'; // released or removed since create failed
    if (current.e > Date.now()) return null;
    try {
      return await kv.update(k, data, entry.revision);
    } catch (err) {
      if (isWrongLastSequence(err)) return 'retry'; // someone else took it over or released it first
      throw err;
    }
  }

  return {
    name: 'nats',

    async lock({ domain, key }, ttlMs): Promise<MutexLease | null> {
      ensureOpen();
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw invalid('lock ttlMs must be a positive number');
      if (ttlMs > maxLeaseMs)
        throw invalid(`lock ttlMs ${ttlMs} exceeds the longest lease of this bucket, ${maxLeaseMs}`);
      const k = pairKey(domain, key);
      const token = randomUUID();
      return natsCall('lock', async () => {
        for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
          // Measured before the write: the stored and reported expiry is never later than the grant + ttl.
          const exp = Date.now() + Math.ceil(ttlMs);
          const fencing = await tryGrant(k, { t: token, e: exp });
          if (fencing === null) return null;
          if (fencing !== 'retry') return { domain, key, exp: new Date(exp), token, fencing };
        }
        return null; // the key keeps changing hands under us: refusing is the safe answer
      });
    },

    async unlock({ domain, key, token }): Promise<UnlockOutcome> {
      ensureOpen();
      const k = pairKey(domain, key);
      return natsCall('unlock', async () => {
        for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
          const entry = await kv.get(k);
          const current = heldIn(entry);
          if (!entry || !current || current.e <= Date.now()) return 'not-held';
          if (token !== undefined && token !== current.t) return 'wrong-token';
          try {
            await kv.delete(k, { previousSeq: entry.revision });
            return 'released';
          } catch (err) {
            // The lease changed since it was read: look again (a token's lease now reads as gone).
            if (!isWrongLastSequence(err)) throw err;
          }
        }
        throw aborted(`mutex ${domain}/${key} changed hands during unlock; try again`);
      });
    },

    async ping() {
      if (closed) throw unavailable('nats mutex is closed');
      await pingBucket(nc, kv, 'mutex');
    },

    async close() {
      if (closed) return;
      closed = true;
      await nc.close().catch(() => {});
    },
  };
}
