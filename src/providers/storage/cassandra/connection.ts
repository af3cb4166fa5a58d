import cassandra from 'cassandra-driver';
import { failedPrecondition, invalid, unavailable } from '../../../core/errors.js';

/*
 * The driver's client, set up so that every guarantee holds: writes commit at a quorum through
 * lightweight transactions (Paxos at SERIAL), reads see every commit a quorum acknowledged. Options that
 * would weaken either are refused at start with a message naming them.
 */

const { consistencies } = cassandra.types;

/**
 * Commit (and read) consistency levels that reach a quorum of replicas: a quorum read sees a quorum commit.
 * (EACH_QUORUM is not among them: Cassandra refuses it for reads.)
 */
const QUORUM_LEVELS: Record<string, number> = {
  LOCAL_QUORUM: consistencies.localQuorum,
  QUORUM: consistencies.quorum,
  ALL: consistencies.all,
};
/**
 * Paxos across every data centre. LOCAL_SERIAL is refused: two writers in different data centres could then
 * both win the same version or the same log position (G3, G4).
 */
const SERIAL_LEVELS: Record<string, number> = { SERIAL: consistencies.serial };

export interface ConnectionOptions {
  /** `host[:port][,host[:port]…]`; port 9042 when left out. */
  addr: string;
  localDataCenter: string;
  user?: string;
  password?: string;
  /** LOCAL_QUORUM (default), QUORUM or ALL. */
  consistency?: string;
  /** SERIAL (default; the only one accepted). */
  serialConsistency?: string;
  connectTimeoutMs: number;
}

export interface Connection {
  client: cassandra.Client;
  consistency: number;
  serialConsistency: number;
}

/** The contact points of `host:port,host:port`; the port defaults to 9042. */
export function contactPoints(addr: string): string[] {
  const points = addr
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (points.length === 0) throw invalid('cassandra storage: addr names no host (host:9042[,host2:9042])');
  return points.map((point) => (/:\d+$/.test(point) || point.startsWith('[') ? point : `${point}:9042`));
}

export function consistencyLevel(name: string | undefined, variable: string): number {
  const level = QUORUM_LEVELS[name ?? 'LOCAL_QUORUM'];
  if (level === undefined)
    throw failedPrecondition(
      `${variable} "${name}" would weaken the guarantees: reads must see every acknowledged commit, so use one of ${Object.keys(QUORUM_LEVELS).join(', ')}`,
    );
  return level;
}

export function serialLevel(name: string | undefined, variable: string): number {
  const level = SERIAL_LEVELS[name ?? 'SERIAL'];
  if (level === undefined)
    throw failedPrecondition(
      `${variable} "${name}" would weaken the guarantees: versions and log positions are decided by Paxos across every data centre, so use SERIAL`,
    );
  return level;
}

/** Connects, or fails with UNAVAILABLE naming the address (never the password). */
export async function connect(options: ConnectionOptions): Promise<Connection> {
  const consistency = consistencyLevel(options.consistency, 'consistency');
  const serialConsistency = serialLevel(options.serialConsistency, 'serialConsistency');
  const client = new cassandra.Client({
    contactPoints: contactPoints(options.addr),
    localDataCenter: options.localDataCenter,
    ...(options.user !== undefined
      ? { authProvider: new cassandra.auth.PlainTextAuthProvider(options.user, options.password ?? '') }
      : {}),
    socketOptions: { connectTimeout: options.connectTimeoutMs, readTimeout: 12_000 },
    // Two connections to each local node: one lost connection fails only its own requests, the host stays
    // up on the other while the first is opened again (soon: the default first waits a second).
    pooling: { coreConnectionsPerHost: { [cassandra.types.distance.local]: 2, [cassandra.types.distance.remote]: 1 } },
    policies: { reconnection: new cassandra.policies.reconnection.ExponentialReconnectionPolicy(100, 10_000, false) },
    queryOptions: { consistency, serialConsistency, prepare: true },
    encoding: { useBigIntAsLong: true, useBigIntAsVarint: true },
  });
  try {
    await client.connect();
  } catch (err) {
    await client.shutdown().catch(() => undefined);
    throw unavailable(`cannot connect to cassandra at ${options.addr}: ${(err as Error).message}`, err);
  }
  return { client, consistency, serialConsistency };
}
