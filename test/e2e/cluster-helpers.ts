/**
 * Helpers for the many-instance tests (cluster-*.e2e.test.ts): several `node dist/main.js` processes
 * sharing one PostgreSQL schema and one Redis or NATS, event streams read over graphql-ws, and control of
 * the shared services (scripts/services.sh down|up <service>) for the fault tests.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { type Client, createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { collect, gql } from '../support/graphql.js';
import { type ServerProcess, spawnServer } from '../support/process.js';
import { ok, sleep, waitUntil } from './guarantees-helpers.js';

export const PG_URL =
  process.env.STATEGATE_TEST_POSTGRES_URL ?? 'postgres://stategate:stategate@127.0.0.1:5432/stategate';
export const REDIS_URL = process.env.STATEGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const NATS_URL = process.env.STATEGATE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/**
 * The two shared-service combinations every cluster test runs on, and the services that carry the bus,
 * cache and mutex there (what the bus-restart test restarts).
 */
export const COMBOS: Array<[string, Record<string, string>, Service[]]> = [
  [
    'PostgreSQL + Redis',
    {
      STATEGATE_CACHE_PROVIDER: JSON.stringify({ name: 'redis', addr: REDIS_URL }),
      STATEGATE_CHANNEL_PROVIDER: JSON.stringify({ name: 'redis', addr: REDIS_URL }),
    },
    ['redis'],
  ],
  [
    'PostgreSQL + NATS',
    {
      STATEGATE_CACHE_PROVIDER: JSON.stringify({ name: 'nats', addr: NATS_URL }),
      STATEGATE_CHANNEL_PROVIDER: JSON.stringify({ name: 'nats', addr: NATS_URL }),
    },
    ['nats'],
  ],
];

export const unique = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

/** A fresh PostgreSQL schema, so each cluster starts from an empty log (positions from 1). */
export async function freshSchema(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = unique('cluster');
  await adminQuery(`CREATE SCHEMA ${name}`);
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${name}`);
  return { url: url.toString(), name, drop: () => adminQuery(`DROP SCHEMA IF EXISTS ${name} CASCADE`) };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot reach postgres at ${PG_URL} (run scripts/services.sh up): ${(err as Error).message}`);
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** One running stategate process, addressed as a GraphQL client addresses it. */
export interface Instance {
  name: string;
  process: ServerProcess;
  http: string;
  ws: string;
}

export interface Cluster {
  instances: Instance[];
  schema: string;
  /** Kills every process and drops the schema. */
  stop(): Promise<void>;
}

/**
 * Starts `n` stategate processes on one fresh PostgreSQL schema plus the combo's cache and bus.
 * `storageUrl` may rewrite the schema's url the processes get (e.g. to go through a proxy).
 */
export async function startCluster(
  env: Record<string, string>,
  n = 3,
  storageUrl: (url: string) => string = (url) => url,
): Promise<Cluster> {
  const schema = await freshSchema();
  const started: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(started.map((p) => p.kill('SIGKILL')));
    await schema.drop().catch(() => undefined);
  };
  try {
    const full = {
      STATEGATE_AUTH_DISABLED: 'true',
      STATEGATE_LOG_POLL_MS: '200',
      STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'postgres', addr: storageUrl(schema.url), poolSize: 5 }),
      ...env,
    };
    // One at a time: the first applies the migrations, the others find them done.
    for (let i = 0; i < n; i++) started.push(await spawnServer(full));
  } catch (err) {
    await stop();
    throw err;
  }
  const instances = started.map((p, i) => ({
    name: String.fromCharCode(65 + i),
    process: p,
    http: `${p.url}/api/graphql`,
    ws: `${p.url.replace(/^http/, 'ws')}/api/graphql`,
  }));
  return { instances, schema: schema.name, stop };
}

export const SET = `mutation Set($input: EntityInput!) { setEntity(input: $input) }`;
export const LOCK = `mutation Lock($input: MutexInput!) { lockMutex(input: $input) { token fencing } }`;
export const UNLOCK = `mutation Unlock($input: MutexRefInput!) { unlockMutex(input: $input) }`;
export const STREAM = `subscription Stream($input: StreamEventOpts!) {
  streamEvents(input: $input) { id position entity { type key version values } }
}`;

export interface StreamedEvent {
  id: string;
  position: string;
  entity: { type: string; key: string; version: string; values: Record<string, unknown> };
}

/** One event stream on one instance, over its own graphql-ws connection. */
export interface Stream {
  label: string;
  client: Client;
  events(): StreamedEvent[];
  /** The stream's error or completion, if it ended (a stream that ended is a failed expectation here). */
  ended(): string | null;
  close(): Promise<void>;
}

export function openStream(instance: Instance, input: Record<string, unknown>, label = instance.name): Stream {
  // Streams on an instance that is killed end with its socket: `ended()` tells, without console noise.
  const client = createClient({
    url: instance.ws,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => {},
  });
  const sub = collect<{ streamEvents: StreamedEvent }>(client, STREAM, { input });
  let ended: string | null = null;
  sub.done.then(
    () => {
      ended = 'completed';
    },
    (err: unknown) => {
      ended = `failed: ${err instanceof Error ? err.message : JSON.stringify(err)}`;
    },
  );
  return {
    label,
    client,
    events: () =>
      sub.items.map((item) => {
        if (!item.data) throw new Error(`stream ${label} got an error item: ${JSON.stringify(item)}`);
        return item.data.streamEvents;
      }),
    ended: () => ended,
    async close() {
      sub.stop();
      await client.dispose();
    },
  };
}

/** Sets `key` of `type` in `domain` to `values` on one instance; throws unless acknowledged. */
export async function set(
  instance: Instance,
  domain: string,
  type: string,
  key: string,
  values: Record<string, unknown>,
): Promise<void> {
  ok(await gql(instance.http, SET, { input: { domain, type, key, values } }), `setEntity on ${instance.name}`);
}

/**
 * Makes sure every stream is live: writes probe entities (type `probe`) round robin over the instances
 * until `ready()` holds. Subscriptions are not acknowledged, so this is the only way to know.
 */
export async function probeUntil(
  instances: Instance[],
  domain: string,
  ready: () => boolean,
  what: string,
  maxProbes = 300,
): Promise<number> {
  let probes = 0;
  while (!ready()) {
    if (probes >= maxProbes) throw new Error(`streams not live after ${probes} probe writes: ${what}`);
    await set(instances[probes % instances.length]!, domain, 'probe', `p${probes}`, { probe: probes });
    probes += 1;
    await sleep(30);
  }
  return probes;
}

/** The events of one entity type a stream got (the probes and other types left out). */
export function ofType(stream: Stream, type: string): StreamedEvent[] {
  return stream.events().filter((e) => e.entity.type === type);
}

/**
 * A plain stream and a consumer-group member (group `g`) on every instance, registered in `streams` for
 * closing, and probed until each has an event: from then on every stream is live.
 */
export async function openSoloAndGroup(
  instances: Instance[],
  domain: string,
  streams: Stream[],
): Promise<{ solo: Stream[]; group: Stream[] }> {
  const solo = instances.map((i) => openStream(i, { domain }, `solo@${i.name}`));
  const group = instances.map((i) => openStream(i, { domain, consumer_group: 'g' }, `group@${i.name}`));
  streams.push(...solo, ...group);
  await probeUntil(
    instances,
    domain,
    () => [...solo, ...group].every((s) => s.events().length > 0),
    'a probe on every stream and group member',
  );
  return { solo, group };
}

/** Waits until every stream in `streams` has at least `n` events of `type` (`when` goes into the timeout message). */
export async function waitForEach(streams: Stream[], type: string, n: number, when = ''): Promise<void> {
  for (const s of streams) {
    const has = () => ofType(s, type).length;
    await waitUntil(() => has() >= n, `${n} ${type} events on ${s.label}${when && ` ${when}`} (has ${has()})`);
  }
}

/** A stream that is still open and never got an event twice. */
export function expectOpenWithoutDuplicates(stream: Stream): void {
  expect({ stream: stream.label, ended: stream.ended() }).toEqual({ stream: stream.label, ended: null });
  expect({ stream: stream.label, duplicates: duplicates(stream.events().map((e) => e.id)) }).toEqual({
    stream: stream.label,
    duplicates: [],
  });
}

/** Each of `ids` delivered exactly once across `events` (say, all a consumer group's members got). */
export function expectEachOnce(events: StreamedEvent[], ids: string[]): void {
  expect(duplicates(events.map((e) => e.id))).toEqual([]);
  expect(events.map((e) => e.id).sort()).toEqual([...ids].sort());
}

/** Takes the mutex `key` on `instance` and releases it: the fencing number it was granted (G7 baseline). */
export async function lockAndUnlock(instance: Instance, domain: string, key: string): Promise<number> {
  const lock = await gql<{ lockMutex: { token: string; fencing: string } }>(instance.http, LOCK, {
    input: { domain, key },
  });
  expect(lock.errors).toBeUndefined();
  const lease = lock.data!.lockMutex;
  expect((await gql(instance.http, UNLOCK, { input: { domain, key, token: lease.token } })).data).toEqual({
    unlockMutex: true,
  });
  return Number(lease.fencing);
}

/** Ids that occur more than once. */
export function duplicates(ids: string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) dup.add(id);
    seen.add(id);
  }
  return [...dup];
}

export { sleep, waitUntil };

// ---- shared services ----

export type Service = 'postgres' | 'redis' | 'nats';
const run = promisify(execFile);

/**
 * Stops or starts one shared test service with scripts/services.sh (which waits until a started service
 * answers). Fault tests restore what they stopped in `finally`/afterAll.
 */
export async function service(action: 'up' | 'down', name: Service): Promise<void> {
  try {
    await run('bash', ['scripts/services.sh', action, name], { timeout: 60_000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`scripts/services.sh ${action} ${name} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/**
 * A TCP proxy in front of PostgreSQL that can freeze: while frozen it accepts connections and reads, but
 * holds every byte in both directions, as a network that drops packets (or a hung server) does. Thawing
 * delivers what was held, in order, on the connections both ends still have open.
 */
export interface FreezingProxy {
  port: number;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function freezingProxy(target: { host: string; port: number }): Promise<FreezingProxy> {
  let frozen = false;
  const held: Array<{ to: Socket; chunk: Buffer }> = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = netConnect(target.port, target.host);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on('data', (chunk: Buffer) => {
        if (frozen) held.push({ to, chunk });
        else to.write(chunk);
      });
      const end = () => {
        sockets.delete(from);
        to.destroy();
      };
      from.on('close', end);
      from.on('error', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const { to, chunk } of held.splice(0)) if (!to.destroyed) to.write(chunk);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
