/**
 * The readiness probe of core (stategate.readiness()), on real providers: sqlite storage and the memory
 * bus, cache and mutex. Storage is made unreachable for real by closing it under the running core; the
 * timeouts on storage, bus and cache that hang are in test/int/readiness.int.test.ts (frozen proxies).
 */
import type { StorageProvider } from '../../src/core/ports/storage.js';
import { createStategate, type Stategate } from '../../src/core/stategate.js';
import { createAllowAllPolicy } from '../../src/policy/allow-all.js';
import { createMemoryBus } from '../../src/providers/bus/memory-bus.js';
import { createMemoryCache } from '../../src/providers/cache/memory-cache.js';
import { createMemoryMutex } from '../../src/providers/mutex/memory-mutex.js';
import { createSqliteStorage } from '../../src/providers/storage/sqlite/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let storage: StorageProvider;
let stategate: Stategate;

async function start(cacheMs: number): Promise<void> {
  storage = createSqliteStorage({ path: ':memory:' });
  stategate = await createStategate({
    storage,
    bus: createMemoryBus(),
    cache: createMemoryCache(),
    mutex: createMemoryMutex(),
    access: createAllowAllPolicy(),
    readiness: { timeoutMs: 500, cacheMs },
  });
}

afterEach(async () => {
  await stategate?.close();
});

it('is ready with every check passing; in-process providers pass without a call', async () => {
  await start(0);
  const readiness = await stategate.readiness();
  expect(readiness).toEqual({
    ready: true,
    degraded: false,
    checks: {
      storage: { ok: true, ms: expect.any(Number) },
      bus: { ok: true, ms: 0 },
      cache: { ok: true, ms: 0 },
      mutex: { ok: true, ms: 0 },
    },
  });
  expect(readiness.checks.storage.ms).toBeLessThan(500);
});

it('is not ready while storage fails, with its error; the other checks still pass', async () => {
  await start(0);
  await storage.close();
  const readiness = await stategate.readiness();
  expect(readiness.ready).toBe(false);
  expect(readiness.degraded).toBe(false);
  expect(readiness.checks.storage).toEqual({ ok: false, ms: expect.any(Number), error: 'storage is closed' });
  expect(readiness.checks.bus.ok).toBe(true);
});

it('concurrent callers share one probe', async () => {
  await start(0);
  const answers = await Promise.all(Array.from({ length: 20 }, () => stategate.readiness()));
  for (const a of answers) expect(a).toBe(answers[0]);
});

it('reuses an answer for cacheMs, then probes again', async () => {
  await start(300);
  const first = await stategate.readiness();
  expect(first.ready).toBe(true);
  await storage.close();
  // Within cacheMs the database is not asked again: the earlier answer stands.
  expect(await stategate.readiness()).toBe(first);
  await sleep(350);
  const later = await stategate.readiness();
  expect(later).not.toBe(first);
  expect(later.ready).toBe(false);
  expect(later.checks.storage.error).toBe('storage is closed');
});

it('is not ready once shutting down, without asking the providers', async () => {
  await start(0);
  expect((await stategate.readiness()).ready).toBe(true);
  await stategate.close();
  const readiness = await stategate.readiness();
  expect(readiness.ready).toBe(false);
  expect(readiness.checks.storage).toEqual({ ok: false, ms: 0, error: 'shutting down' });
});
