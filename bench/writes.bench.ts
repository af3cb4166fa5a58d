/**
 * Write throughput of the embedded default (SQLite, synchronous=FULL) through the core API.
 * Baseline: one writer, each mutation awaited before the next (one fsync per mutation).
 * Measured against it in the same run: concurrent writers, which group commit batches into shared
 * transactions. The machine is shared and noisy, so only the ratio is meaningful.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallContext } from '../src/core/ports/access.js';
import { createStategate } from '../src/core/stategate.js';
import { createAllowAllPolicy } from '../src/policy/allow-all.js';
import { createMemoryBus } from '../src/providers/bus/memory-bus.js';
import { createMemoryCache } from '../src/providers/cache/memory-cache.js';
import { createMemoryMutex } from '../src/providers/mutex/memory-mutex.js';
import { createSqliteStorage } from '../src/providers/storage/sqlite/sqlite-storage.js';

const ctx: CallContext = { transport: 'graphql', metadata: {} };
const TOTAL = Number(process.env.BENCH_WRITES ?? 3000);

async function run(label: string, writers: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'stategate-bench-'));
  const core = await createStategate({
    storage: createSqliteStorage({ path: join(dir, 'bench.db') }),
    bus: createMemoryBus(),
    cache: createMemoryCache(),
    mutex: createMemoryMutex(),
    access: createAllowAllPolicy(),
  });
  const perWriter = Math.ceil(TOTAL / writers);
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        await core.api.entities.set(ctx, {
          domain: 'bench',
          type: 'doc',
          key: `k${w}-${i % 50}`,
          values: { writer: w, i, text: 'x'.repeat(200) },
        });
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const rate = (perWriter * writers) / seconds;
  await core.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `${label.padEnd(34)} ${String(perWriter * writers).padStart(6)} writes  ${rate.toFixed(0).padStart(7)} writes/s`,
  );
  return rate;
}

const baseline = await run('1 writer (baseline)', 1);
for (const writers of [8, 64, 256]) {
  const rate = await run(`${writers} concurrent writers`, writers);
  console.log(`${''.padEnd(34)} ratio to baseline: ${(rate / baseline).toFixed(2)}x`);
}
