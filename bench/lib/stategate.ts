import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Pinned, ROOT, SERVER_CORE, sleep, spawnPinned } from './proc.js';

/** The storage providers, in the server's config form; the URLs are the test services' (scripts/services.sh). */
export type Provider = 'sqlite' | 'postgres' | 'mysql' | 'mongo' | 'cassandra';
export const PROVIDERS: Provider[] = ['sqlite', 'postgres', 'mysql', 'mongo', 'cassandra'];

const env = process.env;
export const URLS = {
  postgres: env.STATEGATE_TEST_POSTGRES_URL ?? 'postgres://stategate:stategate@127.0.0.1:5432/stategate',
  mysql: env.STATEGATE_TEST_MYSQL_URL ?? 'mysql://stategate:stategate@127.0.0.1:3306/stategate',
  mongo: env.STATEGATE_TEST_MONGO_URL ?? 'mongodb://127.0.0.1:27017/stategate',
  cassandra: env.STATEGATE_TEST_CASSANDRA_ADDR ?? '127.0.0.1:9042',
  redis: env.STATEGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  nats: env.STATEGATE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
};

/**
 * Limits raised so the load is measured, not refused (README "Limits"): rate limiting off, in-flight and
 * connection caps far above what the bench opens, 10,000 streams and sockets for one principal.
 */
const UNLIMITED = {
  STATEGATE_RATE_LIMIT_RPS: '0',
  STATEGATE_MAX_IN_FLIGHT: '1000000',
  STATEGATE_MAX_CONNECTIONS: '1000000',
  STATEGATE_MAX_CONNECTIONS_PER_IP: '1000000',
  STATEGATE_WEBSOCKETS_PER_PRINCIPAL: '100000',
  STATEGATE_STREAMS_PER_PRINCIPAL: '1000000',
  STATEGATE_HTTP2_MAX_STREAMS: '10000',
  STATEGATE_HTTP2_MAX_RESETS_PER_S: '100000',
  STATEGATE_IDLE_TIMEOUT_MS: '600000',
  STATEGATE_REQUEST_TIMEOUT_MS: '600000',
  STATEGATE_LOG_LEVEL: 'warn',
  STATEGATE_METRICS_PORT: '0',
};

export interface StategateOptions {
  provider?: Provider;
  /** An existing sqlite file (S6); default a fresh one per server. */
  sqlitePath?: string;
  /** Own database per server for mongo (FerretDB scans collections: old runs' events would slow it). */
  mongoDatabase?: string;
  cache?: 'memory' | 'redis' | 'nats';
  bus?: 'memory' | 'redis' | 'nats';
  /** Auth stays disabled unless env names a JWKS (S9). */
  env?: Record<string, string>;
  /** `node --cpu-prof` into this directory. */
  cpuProfDir?: string;
}

export interface Stategate {
  url: string;
  port: number;
  proc: Pinned;
  stop(): Promise<void>;
}

function storageConfig(o: StategateOptions, dir: string): string {
  switch (o.provider ?? 'sqlite') {
    case 'sqlite':
      return JSON.stringify({ name: 'sqlite', path: o.sqlitePath ?? join(dir, 'bench.db') });
    case 'postgres':
      return JSON.stringify({ name: 'postgres', addr: URLS.postgres, poolSize: 20 });
    case 'mysql':
      return JSON.stringify({ name: 'mysql', addr: URLS.mysql, poolSize: 20 });
    case 'mongo':
      return JSON.stringify({
        name: 'mongo',
        addr: URLS.mongo,
        database: o.mongoDatabase ?? `bench_${Date.now().toString(36)}`,
        poolSize: 20,
      });
    case 'cassandra':
      // A keyspace of its own per server, as for mongo: a run never reads an earlier run's log.
      return JSON.stringify({
        name: 'cassandra',
        addr: URLS.cassandra,
        keyspace: `stategate_bench_${Date.now().toString(36)}`,
      });
  }
}

const networked = (name: 'memory' | 'redis' | 'nats') =>
  name === 'memory'
    ? JSON.stringify({ name })
    : JSON.stringify({ name, addr: name === 'redis' ? URLS.redis.replace(/^redis:\/\//, '') : URLS.nats });

/**
 * Starts `node dist/main.js` on the server core and waits until it is ready. Tried twice: other people
 * rebuild dist/ on this machine, and a start in the middle of a rebuild fails to resolve a module.
 */
export async function startStategate(o: StategateOptions = {}): Promise<Stategate> {
  try {
    return await startOnce(o);
  } catch {
    await sleep(5000);
    return startOnce(o);
  }
}

async function startOnce(o: StategateOptions): Promise<Stategate> {
  const dir = mkdtempSync(join(tmpdir(), 'stategate-bench-'));
  const port = await freePort();
  const serverEnv: Record<string, string> = {
    PATH: env.PATH ?? '',
    HOME: env.HOME ?? '',
    STATEGATE_PORT: String(port),
    STATEGATE_HOST: '127.0.0.1',
    STATEGATE_AUTH_DISABLED: 'true',
    ...UNLIMITED,
    STATEGATE_STORAGE_PROVIDER: storageConfig(o, dir),
    STATEGATE_CACHE_PROVIDER: networked(o.cache ?? 'memory'),
    ...(o.bus ? { STATEGATE_CHANNEL_PROVIDER: networked(o.bus) } : {}),
    ...o.env,
  };
  if (o.env?.STATEGATE_JWKS_URI) delete serverEnv.STATEGATE_AUTH_DISABLED;
  const nodeArgs = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : [];
  const proc = spawnPinned(SERVER_CORE, [process.execPath, ...nodeArgs, `${ROOT}/dist/main.js`], serverEnv);
  proc.child.stdout!.resume();
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, proc);
  return {
    url,
    port,
    proc,
    async stop() {
      await proc.stop('SIGTERM');
      if (!o.sqlitePath) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port nobody listens on now (the server is told its port: at log level warn it never prints it). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

/** Polls `/readyz` until the server answers 200 (or fails when the process exits). */
export async function waitReady(url: string, proc: Pinned, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  proc.child.once('exit', () => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`server exited before it was ready: ${proc.stderr()}`);
    try {
      const res = await fetch(`${url}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`server not ready in ${timeoutMs} ms: ${proc.stderr()}`);
}
