/**
 * Get / version check / search latency of the mongo provider on FerretDB, for the before/after numbers of
 * the head documents (not a test: no timed assertions in tests; benchmarks proper live in bench/).
 *
 *   npx tsx test/int/storage-mongo-head-latency.ts [entities=200] [versions=5] [seconds=5]
 *
 * Writes `entities` × `versions` events into a fresh database, then, with 16 concurrent callers each on a
 * fresh instance (so no instance remembers any version: the Get of a gRPC server seeing another instance's
 * writes), measures getEntity, a versioned write on a remembered entity, and a 100-row entity search.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { StorageProvider } from '../../src/core/ports/storage.js';
import { createMongoStorage } from '../../src/providers/storage/mongo/index.js';
import { intent } from '../contract/storage.contract.js';

const URL = process.env.STATEGATE_TEST_MONGO_URL ?? 'mongodb://127.0.0.1:27017/stategate';
const [entities = 200, versions = 5, seconds = 5] = process.argv.slice(2).map(Number);
const CALLERS = 16;
const database = `stategate_latency_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const domain = 'latency';

async function measure(
  name: string,
  stores: StorageProvider[],
  call: (store: StorageProvider, i: number) => Promise<unknown>,
) {
  const samples: number[] = [];
  const until = performance.now() + seconds * 1000;
  let n = 0;
  await Promise.all(
    stores.map(async (store) => {
      while (performance.now() < until) {
        const start = performance.now();
        await call(store, n++);
        samples.push(performance.now() - start);
      }
    }),
  );
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(1);
  console.log(
    `${name.padEnd(28)} ${(samples.length / seconds).toFixed(0).padStart(6)}/s  p50 ${at(0.5)} ms  p99 ${at(0.99)} ms  (${samples.length} calls, ${CALLERS} callers)`,
  );
}

const writer = await createMongoStorage({ url: URL, database });
for (let v = 0; v < versions; v++) {
  await Promise.all(
    Array.from({ length: entities }, (_, k) =>
      writer.append(intent.set({ domain, type: 't', key: `k${k}` }, { k, v, text: 'x'.repeat(100) })),
    ),
  );
}
console.log(`${entities} entities × ${versions} versions = ${entities * versions} events in ${database}`);
const readers = await Promise.all(Array.from({ length: CALLERS }, () => createMongoStorage({ url: URL, database })));
const key = (i: number) => ({ domain, type: 't', key: `k${i % entities}` });
try {
  await measure('getEntity (cold instance)', readers, (s, i) => s.getEntity(key(i)));
  await measure('getEntity (warm)', readers, (s, i) => s.getEntity(key(i)));
  await measure('getEventByVersion', readers, (s, i) => s.getEventByVersion(key(i), 1));
  await measure('append (edit, no precondition)', [writer], (s, i) => s.append(intent.edit(key(i), { i })));
  await measure('searchEntities limit 100', readers.slice(0, 4), (s) =>
    s.searchEntities({ domain, type: 't', filter: null, sort: null, limit: 100, offset: 0 }),
  );
  await measure('getEventAt', readers.slice(0, 4), (s, i) => s.getEventAt(key(i), BigInt(Date.now()) * 1_000_000n));
} finally {
  await Promise.all([writer, ...readers].map((s) => s.close()));
}
