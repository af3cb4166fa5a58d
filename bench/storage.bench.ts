/**
 * Write throughput of each storage provider through the core API (Set, which reads the head, plans the
 * write, and commits state + event in one transaction).
 * Baseline: the embedded default (SQLite, synchronous=FULL) with one writer, measured in the same run.
 * Each provider then runs with 1 writer and with 20 concurrent writers on distinct keys. The machine is
 * shared and noisy, so only the ratios are meaningful. The networked providers need
 * `bash scripts/services.sh up`; BENCH_PROVIDERS (comma-separated) picks which run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StorageConfig } from '../src/config/config.js';
import type { CallContext } from '../src/core/ports/access.js';
import { silentLogger } from '../src/core/ports/logger.js';
import { createStategate } from '../src/core/stategate.js';
import { createAllowAllPolicy } from '../src/policy/allow-all.js';
import { createMemoryBus } from '../src/providers/bus/memory-bus.js';
import { createMemoryCache } from '../src/providers/cache/memory-cache.js';
import { createStorage } from '../src/providers/index.js';
import { createMemoryMutex } from '../src/providers/mutex/memory-mutex.js';

const ctx: CallContext = { transport: 'graphql', metadata: {} };
const TOTAL = Number(process.env.BENCH_WRITES ?? 2000);
const env = process.env;

const configs: Record<string, () => StorageConfig> = {
  sqlite: () => ({ name: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'stategate-bench-')), 'bench.db') }),
  postgres: () => ({
    name: 'postgres',
    url: env.STATEGATE_TEST_POSTGRES_URL ?? 'postgres://stategate:stategate@127.0.0.1:5432/stategate',
    poolSize: 20,
  }),
  mysql: () => ({
    name: 'mysql',
    url: env.STATEGATE_TEST_MYSQL_URL ?? 'mysql://stategate:stategate@127.0.0.1:3306/stategate',
    poolSize: 20,
  }),
  mongo: () => ({
    name: 'mongo',
    url: env.STATEGATE_TEST_MONGO_URL ?? 'mongodb://127.0.0.1:27017/stategate',
    // Its own database per run: FerretDB scans whole collections, so older events would slow every append.
    database: `stategate_bench_${Date.now()}`,
    poolSize: 20,
    allowStandalone: false,
  }),
  cassandra: () => ({
    name: 'cassandra',
    addr: env.STATEGATE_TEST_CASSANDRA_ADDR ?? '127.0.0.1:9042',
    // Its own keyspace per run, as for mongo: the ledger partition holds the whole store.
    keyspace: `stategate_bench_${Date.now()}`,
    localDataCenter: 'datacenter1',
    replication: { class: 'SimpleStrategy', replication_factor: 1 },
    consistency: 'LOCAL_QUORUM',
    serialConsistency: 'SERIAL',
  }),
};

async function run(provider: string, writers: number): Promise<number> {
  const config = configs[provider]!();
  const core = await createStategate({
    storage: await createStorage(config, silentLogger),
    bus: createMemoryBus(),
    cache: createMemoryCache(),
    mutex: createMemoryMutex(),
    access: createAllowAllPolicy(),
  });
  const domain = `bench-${Date.now()}-${writers}`;
  const perWriter = Math.ceil(TOTAL / writers);
  const start = process.hrtime.bigint();
  try {
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) {
          await core.api.entities.set(ctx, {
            domain,
            type: 'doc',
            key: `k${w}-${i % 50}`,
            values: { writer: w, i, text: 'x'.repeat(200) },
          });
        }
      }),
    );
  } finally {
    await core.close();
    if (config.name === 'sqlite') rmSync(join(config.path, '..'), { recursive: true, force: true });
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return (perWriter * writers) / seconds;
}

const chosen = (env.BENCH_PROVIDERS ?? Object.keys(configs).join(',')).split(',').map((s) => s.trim());
const baseline = await run('sqlite', 1);
console.log(`baseline: sqlite, 1 writer  ${baseline.toFixed(0)} writes/s`);
console.log('provider   writers   writes/s   ratio to baseline');
for (const provider of chosen) {
  if (!configs[provider]) throw new Error(`BENCH_PROVIDERS: unknown provider ${provider}`);
  for (const writers of [1, 20]) {
    const rate = await run(provider, writers);
    console.log(
      `${provider.padEnd(10)} ${String(writers).padStart(7)} ${rate.toFixed(0).padStart(10)}   ${(rate / baseline).toFixed(2)}x`,
    );
  }
}
