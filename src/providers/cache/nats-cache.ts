import { type KvEntry, StorageType } from 'nats';
import { invalid, unavailable } from '../../core/errors.js';
import type { CacheEntry, JsonValue } from '../../core/model.js';
import type { CacheProvider } from '../../core/ports/cache.js';
import { silentLogger } from '../../core/ports/logger.js';
import { connectNats, ensureConnected, type NatsOptions, natsCall, openBucket, pingBucket } from '../nats/client.js';
import { pairKey } from '../nats/keys.js';
import { scanBucket } from '../nats/scan.js';

export interface NatsCacheOptions extends NatsOptions {
  /** How often expired values are evicted (default 60 s); `get` never returns one regardless. */
  sweepIntervalMs?: number;
}

/** The bucket, and the stream and subjects JetStream keeps it in (the KV naming scheme, ADR-8). */
const BUCKET = 'stategate_cache';
const STREAM = `KV_${BUCKET}`;
const subjectOf = (kvKey: string) => `$KV.${BUCKET}.${kvKey}`;

/** What one KV entry holds: the value and, when it has one, its expiry in ms since the epoch. */
type Stored = { v: JsonValue; e?: number };

const encoder = new TextEncoder();

/**
 * The cache over a JetStream KV bucket (file storage, one revision per key). NATS 2.9 has no per-key TTL
 * and a bucket TTL would also expire values without `exp`, so each value stores its own expiry and every
 * read judges it on this instance's wall clock: an expired value is never returned, even before eviction.
 *
 * Expired values are evicted when a read finds one and by a periodic sweep of the bucket (each instance
 * sweeps; the work is idempotent). Eviction and `del` purge the key's messages from the stream rather than
 * writing a KV delete marker, so the bucket does not keep a marker for every key ever deleted; eviction
 * purges only up to the revision it found expired, so a value set meanwhile is never evicted by mistake.
 */
export async function createNatsCache(options: NatsCacheOptions): Promise<CacheProvider> {
  const logger = options.logger ?? silentLogger;
  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  if (!(sweepIntervalMs > 0)) throw invalid('nats cache: sweepIntervalMs must be > 0');

  const nc = await connectNats(options, 'cache');
  const { kv } = await openBucket(nc, options, BUCKET, { history: 1, storage: StorageType.File });
  // No API check: it costs a request and openBucket has just shown that JetStream answers.
  const jsm = await nc.jetstreamManager({ checkAPI: false });
  let closed = false;

  const expired = (s: Stored, now = Date.now()) => s.e !== undefined && s.e <= now;
  /** Removes the key's messages up to `revision`: a later value has a higher revision and survives. */
  const evict = (kvKey: string, revision: number) =>
    natsCall('cache evict', () => jsm.streams.purge(STREAM, { filter: subjectOf(kvKey), seq: revision + 1 }));

  let sweeping = false;
  async function sweep(): Promise<void> {
    if (sweeping || closed) return;
    sweeping = true;
    try {
      ensureConnected(nc, 'cache sweep');
      const evictions: Promise<unknown>[] = [];
      const now = Date.now();
      await scanBucket(
        kv,
        (entry: KvEntry) => {
          if (entry.operation === 'PUT' && expired(entry.json<Stored>(), now)) {
            evictions.push(evict(entry.key, entry.revision));
          }
        },
        Math.max(sweepIntervalMs, 1000),
      );
      await Promise.all(evictions);
    } catch (err) {
      if (!closed) logger.warn({ err }, 'nats cache sweep failed; the next one retries');
    } finally {
      sweeping = false;
    }
  }
  const sweeper = setInterval(() => void sweep(), sweepIntervalMs);
  sweeper.unref(); // an idle cache must not keep the process alive

  const ensureOpen = () => {
    if (closed) throw unavailable('nats cache is closed');
    ensureConnected(nc, 'cache');
  };

  return {
    name: 'nats',

    async set({ domain, key, value, exp }) {
      ensureOpen();
      const expMs = exp?.getTime();
      if (expMs !== undefined && Number.isNaN(expMs)) throw invalid('cache exp is not a valid date');
      const stored: Stored = expMs === undefined ? { v: value } : { v: value, e: expMs };
      const data = encoder.encode(JSON.stringify(stored));
      // NATS refuses larger messages; say so as bad input rather than as the server being unavailable.
      const maxPayload = nc.info?.max_payload;
      if (maxPayload !== undefined && data.length > maxPayload) {
        throw invalid(`cache value is ${data.length} bytes; this nats server accepts at most ${maxPayload}`);
      }
      // A plain put replaces the value and its expiry, as overwriting must.
      await natsCall('cache set', () => kv.put(pairKey(domain, key), data));
    },

    async get({ domain, key }) {
      ensureOpen();
      const kvKey = pairKey(domain, key);
      const entry = await natsCall('cache get', () => kv.get(kvKey));
      if (entry?.operation !== 'PUT') return null; // missing, or a delete marker
      const stored = entry.json<Stored>();
      if (expired(stored)) {
        // The read's answer does not depend on the eviction, so it does not wait for it.
        evict(kvKey, entry.revision).catch((err: unknown) => logger.debug({ err }, 'nats cache eviction failed'));
        return null;
      }
      const result: CacheEntry = { domain, key, value: stored.v };
      if (stored.e !== undefined) result.exp = new Date(stored.e);
      return result;
    },

    async del({ domain, key }) {
      ensureOpen();
      await natsCall('cache del', () => jsm.streams.purge(STREAM, { filter: subjectOf(pairKey(domain, key)) }));
    },

    async ping() {
      if (closed) throw unavailable('nats cache is closed');
      await pingBucket(nc, kv, 'cache');
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      await nc.close().catch(() => {});
    },
  };
}
