import type { Subscription } from 'nats';
import { invalid, unavailable } from '../../core/errors.js';
import type { BusProvider } from '../../core/ports/bus.js';
import { silentLogger } from '../../core/ports/logger.js';
import {
  connectNats,
  ensureConnected,
  isWrongLastSequence,
  type NatsOptions,
  natsCall,
  openBucket,
  pingBucket,
} from '../nats/client.js';
import { token } from '../nats/keys.js';
import { TopicFanout } from './topic-fanout.js';

/** How the NATS bus is told where NATS is (see NatsOptions). Claims use a JetStream KV bucket. */
export interface NatsBusOptions extends NatsOptions {
  /** The JetStream KV bucket that holds claims (default `stategate_claims`). */
  claimBucket?: string;
  /**
   * The bucket's TTL and so the longest claim accepted (default 1 h; core asks for up to 10 min).
   * Used when the bucket is created; an existing bucket keeps its own TTL, which is then the limit.
   */
  claimMaxTtlMs?: number;
}

const SUBJECT_PREFIX = 'stategate.bus.';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The bus over core NATS subjects. NATS delivers the messages of one publishing connection in order,
 * which gives per-topic order; core NATS is at-most-once, fine for a fast path (the log fills gaps, G5).
 *
 * Claims use a JetStream KV bucket. `create` succeeds for exactly one caller while the key exists, but
 * KV TTL is per bucket, not per key, so the bucket's TTL is the longest claim and each value stores its
 * own expiry (ms since the epoch). A key whose stored expiry has passed is claimable again through
 * `update` with the revision that was read — a compare-and-set, so again exactly one caller wins.
 * The approximation: expiry is judged on the claiming instance's wall clock, so clock skew between
 * instances shortens or stretches a claim by that skew; the bucket TTL only bounds storage.
 */
export async function createNatsBus(options: NatsBusOptions): Promise<BusProvider> {
  const logger = options.logger ?? silentLogger;
  const bucket = options.claimBucket ?? 'stategate_claims';
  const wantedTtl = options.claimMaxTtlMs ?? 60 * 60_000;
  if (!(wantedTtl > 0)) throw invalid('nats bus: claimMaxTtlMs must be > 0');

  const nc = await connectNats(options, 'bus');
  // An existing bucket keeps its own TTL (0 = none), which is then the longest claim.
  const { kv, ttlMs: maxTtl } = await openBucket(nc, options, bucket, { ttl: wantedTtl, history: 1 });

  let closed = false;
  const subs = new Map<string, Subscription>();
  const fanout = new TopicFanout(
    {
      listen: (topic) =>
        natsCall('subscribe', async () => {
          const sub = nc.subscribe(SUBJECT_PREFIX + token(topic), {
            // Called as the socket is read, so a handler never runs inside the publisher's call stack.
            callback: (err, m) => {
              if (err) logger.warn({ err, topic }, 'nats subscription error');
              else fanout.deliver(topic, decoder.decode(m.data));
            },
          });
          subs.set(topic, sub);
          await nc.flush(); // the server has the subscription once its PONG returns
        }),
      unlisten: (topic) =>
        natsCall('unsubscribe', async () => {
          const sub = subs.get(topic);
          subs.delete(topic);
          sub?.unsubscribe();
        }),
      barrier: () => natsCall('flush', () => nc.flush()),
    },
    (err, topic) => logger.warn({ err, topic }, 'bus handler failed'),
  );

  const ensureOpen = () => {
    if (closed) throw unavailable('nats bus is closed');
  };

  /**
   * One attempt to take `k`: create it, or replace a value whose expiry has passed. The value is the
   * expiry (ms since the epoch), then a space and the owner when there is one: the owner asking again
   * while its claim holds gets true (its first answer may have been lost).
   */
  async function tryClaim(k: string, ttlMs: number, owner: string | undefined): Promise<boolean | 'retry'> {
    const value = () => encoder.encode(owner ? `${Date.now() + ttlMs} ${owner}` : String(Date.now() + ttlMs));
    try {
      await kv.create(k, value());
      return true;
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
    const entry = await kv.get(k);
    // Gone since create failed (aged out of the bucket, or deleted): try create again.
    if (entry?.operation !== 'PUT') return 'retry';
    const [exp, holder] = decoder.decode(entry.value).split(' ');
    if (Number(exp) > Date.now()) return owner !== undefined && owner !== '' && holder === owner;
    try {
      await kv.update(k, value(), entry.revision);
      return true;
    } catch (err) {
      if (isWrongLastSequence(err)) return false; // another caller replaced it first
      throw err;
    }
  }

  return {
    name: 'nats',

    async publish(topic, payload) {
      ensureOpen();
      // Buffered by the client and sent in call order; while reconnecting it is held and sent after.
      await natsCall('publish', async () => nc.publish(SUBJECT_PREFIX + token(topic), encoder.encode(payload)));
    },

    async subscribe(topic, handler) {
      ensureOpen();
      return fanout.subscribe(topic, handler);
    },

    async claim(key, ttlMs, owner) {
      ensureOpen();
      ensureConnected(nc, 'bus');
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw invalid('claim ttlMs must be a positive number');
      // A longer claim could age out of the bucket while live and be granted twice.
      if (maxTtl > 0 && ttlMs > maxTtl) throw invalid(`claim ttlMs ${ttlMs} exceeds the claims bucket TTL ${maxTtl}`);
      const k = token(key);
      return natsCall('claim', async () => {
        for (let attempt = 0; attempt < 3; attempt++) {
          const won = await tryClaim(k, ttlMs, owner);
          if (won !== 'retry') return won;
        }
        return false; // the key keeps vanishing under us: refusing is the safe answer
      });
    },

    async ping() {
      ensureOpen();
      // The claims bucket: consumer groups need JetStream, and its status proves the connection too.
      await pingBucket(nc, kv, 'bus');
    },

    async close() {
      if (closed) return;
      closed = true;
      fanout.close();
      subs.clear();
      await nc.close().catch(() => {});
    },
  };
}
