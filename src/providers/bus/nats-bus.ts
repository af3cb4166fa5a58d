import { connect, type KV, type NatsConnection, type Subscription } from 'nats';
import { invalid, StategateError, unavailable } from '../../core/errors.js';
import type { BusProvider } from '../../core/ports/bus.js';
import { type Logger, silentLogger } from '../../core/ports/logger.js';
import { TopicFanout } from './topic-fanout.js';

/** How the NATS bus is told where NATS is. The server must run JetStream (claims use a KV bucket). */
export interface NatsBusOptions {
  /** `nats://host:port`, or several separated by commas. */
  url: string;
  user?: string;
  password?: string;
  logger?: Logger;
  /** The JetStream KV bucket that holds claims (default `stategate_claims`). */
  claimBucket?: string;
  /**
   * The bucket's TTL and so the longest claim accepted (default 1 h; core asks for up to 10 min).
   * Used when the bucket is created; an existing bucket keeps its own TTL, which is then the limit.
   */
  claimMaxTtlMs?: number;
}

const SUBJECT_PREFIX = 'stategate.bus.';
/** JetStream's answer when an expected last sequence does not match (the key exists or moved on). */
const WRONG_LAST_SEQUENCE = 10071;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/**
 * A topic or claim key as one NATS token: base64url never contains `.`, `*`, `>` or spaces, which would
 * change a subject's meaning, and fits the KV key alphabet. The leading letter keeps '' non-empty.
 */
const token = (s: string) => `t${Buffer.from(s, 'utf8').toString('base64url')}`;

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

  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: options.url.split(',').map((s) => s.trim()),
      ...(options.user !== undefined && { user: options.user }),
      ...(options.password !== undefined && { pass: options.password }),
      name: 'stategate',
      // Keep reconnecting forever: a restarted NATS is picked up without restarting stategate.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
  } catch (err) {
    throw unavailable(`cannot connect to nats at ${options.url}: ${(err as Error).message}`, err);
  }

  let kv: KV;
  let maxTtl: number;
  try {
    ({ kv, maxTtl } = await openClaims(nc, bucket, wantedTtl));
  } catch (err) {
    await nc.close().catch(() => {});
    throw unavailable(`nats at ${options.url}: cannot open the claims bucket (is JetStream on?): ${msg(err)}`, err);
  }
  void watchStatus(nc, logger);

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

  /** One attempt to take `k`: create it, or replace a value whose expiry has passed. */
  async function tryClaim(k: string, ttlMs: number): Promise<boolean | 'retry'> {
    const value = () => encoder.encode(String(Date.now() + ttlMs));
    try {
      await kv.create(k, value());
      return true;
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
    const entry = await kv.get(k);
    // Gone since create failed (aged out of the bucket, or deleted): try create again.
    if (entry?.operation !== 'PUT') return 'retry';
    if (Number(decoder.decode(entry.value)) > Date.now()) return false;
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

    async claim(key, ttlMs) {
      ensureOpen();
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw invalid('claim ttlMs must be a positive number');
      // A longer claim could age out of the bucket while live and be granted twice.
      if (maxTtl > 0 && ttlMs > maxTtl) throw invalid(`claim ttlMs ${ttlMs} exceeds the claims bucket TTL ${maxTtl}`);
      const k = token(key);
      return natsCall('claim', async () => {
        for (let attempt = 0; attempt < 3; attempt++) {
          const won = await tryClaim(k, ttlMs);
          if (won !== 'retry') return won;
        }
        return false; // the key keeps vanishing under us: refusing is the safe answer
      });
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

/** Opens (creating if needed) the claims bucket and returns its effective TTL (0 = none). */
async function openClaims(nc: NatsConnection, bucket: string, ttl: number): Promise<{ kv: KV; maxTtl: number }> {
  const js = nc.jetstream();
  let kv: KV;
  try {
    kv = await js.views.kv(bucket, { ttl, history: 1 });
  } catch {
    // Created earlier with other settings: use it as it is, and live by its TTL.
    kv = await js.views.kv(bucket, { bindOnly: true });
  }
  const status = await kv.status();
  return { kv, maxTtl: status.ttl };
}

/** Logs disconnects and reconnects; the iterator ends when the connection closes. */
async function watchStatus(nc: NatsConnection, logger: Logger): Promise<void> {
  try {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'error') logger.warn({ nats: s.data, type: s.type }, 'nats connection');
      else if (s.type === 'reconnect') logger.info({ nats: s.data }, 'nats reconnected');
    }
  } catch {
    // the status iterator only fails as the connection closes
  }
}

function isWrongLastSequence(err: unknown): boolean {
  return (err as { api_error?: { err_code?: number } })?.api_error?.err_code === WRONG_LAST_SEQUENCE;
}

const msg = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Runs one NATS call, turning any failure (closed, timed out, no responders) into UNAVAILABLE. */
async function natsCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof StategateError) throw err;
    throw unavailable(`nats ${what} failed: ${msg(err)}`, err);
  }
}
