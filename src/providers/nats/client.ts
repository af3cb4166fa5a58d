import { connect, type KV, type KvOptions, type NatsConnection } from 'nats';
import { StategateError, unavailable } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/ports/logger.js';

/** How every NATS provider (bus, cache, mutex) is told where NATS is. The server must run JetStream. */
export interface NatsOptions {
  /** `nats://host:port`, or several separated by commas. */
  url: string;
  user?: string;
  password?: string;
  logger?: Logger;
}

/** How long one JetStream request (KV create, get, update, delete) may take before it fails UNAVAILABLE. */
const JETSTREAM_TIMEOUT_MS = 3000;

/** JetStream's answer when an expected last sequence does not match (the key exists or moved on). */
const WRONG_LAST_SEQUENCE = 10071;

/**
 * Opens one connection, so a wrong url or a down server fails at start with a clear UNAVAILABLE instead of
 * on the first request. Afterwards the client reconnects by itself, forever: a restarted NATS is picked up
 * without restarting stategate. While it is disconnected, see ensureConnected.
 */
export async function connectNats(options: NatsOptions, role: string): Promise<NatsConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: options.url.split(',').map((s) => s.trim()),
      ...(options.user !== undefined && { user: options.user }),
      ...(options.password !== undefined && { pass: options.password }),
      name: `stategate-${role}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
  } catch (err) {
    throw unavailable(`cannot connect to nats at ${options.url} (${role}): ${errorMessage(err)}`, err);
  }
  void watchStatus(nc, options.logger ?? silentLogger, role);
  return nc;
}

/** An open bucket and the TTL it really has (ms, 0 = none): the one configured when it was created. */
export interface Bucket {
  kv: KV;
  ttlMs: number;
}

/**
 * Opens a JetStream KV bucket for a provider that just connected, creating it with `config` if it does
 * not exist, and closes the connection if that fails. A bucket created earlier with other settings is used
 * as it is, with its own TTL, rather than deleted and recreated: recreating would lose its contents and
 * restart its revisions, which the mutex's fencing numbers must never do.
 */
export async function openBucket(
  nc: NatsConnection,
  options: NatsOptions,
  bucket: string,
  config: Partial<KvOptions>,
): Promise<Bucket> {
  // Bounded like the Redis providers' command timeout: a request in flight when the server dies would
  // otherwise wait the client's default 5 s, and streams wait on claims.
  const js = nc.jetstream({ timeout: JETSTREAM_TIMEOUT_MS });
  try {
    const kv = await js.views.kv(bucket, config).catch(() => js.views.kv(bucket, { bindOnly: true }));
    return { kv, ttlMs: (await kv.status()).ttl };
  } catch (err) {
    await nc.close().catch(() => {});
    throw unavailable(
      `nats at ${options.url}: cannot open bucket ${bucket} (is JetStream on?): ${errorMessage(err)}`,
      err,
    );
  }
}

/**
 * For readiness: fails fast while disconnected, else asks JetStream for the bucket's status, a real
 * round-trip through the server to the JetStream API that every KV call of the provider depends on.
 */
export async function pingBucket(nc: NatsConnection, kv: KV, role: string): Promise<void> {
  ensureConnected(nc, role);
  await natsCall(`${role} ping`, () => kv.status());
}

/** True when a write with an expected revision (create, update, delete with previousSeq) lost the race. */
export function isWrongLastSequence(err: unknown): boolean {
  return (err as { api_error?: { err_code?: number } })?.api_error?.err_code === WRONG_LAST_SEQUENCE;
}

/** Runs one NATS call, turning any failure (closed, timed out, no responders) into UNAVAILABLE. */
export async function natsCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof StategateError) throw err;
    throw unavailable(`nats ${what} failed: ${errorMessage(err)}`, err);
  }
}

export const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Connections that lost their server and are reconnecting (kept up to date by watchStatus). */
const disconnected = new WeakSet<NatsConnection>();

/**
 * Fails fast with UNAVAILABLE while the connection is down, as the Redis providers do. Otherwise the
 * client would hold the request until its timeout (5 s) and might still send it after reconnecting: a
 * cache write or a lock the caller was told had failed.
 */
export function ensureConnected(nc: NatsConnection, role: string): void {
  if (disconnected.has(nc)) throw unavailable(`nats is unreachable (${role}); reconnecting`);
}

/** Tracks and logs disconnects and reconnects; the iterator ends when the connection closes. */
async function watchStatus(nc: NatsConnection, logger: Logger, role: string): Promise<void> {
  try {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') disconnected.add(nc);
      else if (s.type === 'reconnect') disconnected.delete(nc);
      if (s.type === 'disconnect' || s.type === 'error')
        logger.warn({ nats: s.data, type: s.type, role }, 'nats connection');
      else if (s.type === 'reconnect') logger.info({ nats: s.data, role }, 'nats reconnected');
    }
  } catch {
    // the status iterator only fails as the connection closes
  }
}
