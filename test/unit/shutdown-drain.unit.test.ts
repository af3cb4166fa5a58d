/**
 * Core's shutdown (stategate.close) on real providers (sqlite in memory, memory bus/cache/mutex): streams
 * end first, then the calls already running finish before storage closes, within the drain timeout. A
 * call is held in flight for real by a request policy that waits for the test.
 */
import type { StategateError } from '../../src/core/errors.js';
import type { CallContext } from '../../src/core/ports/access.js';
import { createStategate, type Stategate } from '../../src/core/stategate.js';
import { createMemoryBus } from '../../src/providers/bus/memory-bus.js';
import { createMemoryCache } from '../../src/providers/cache/memory-cache.js';
import { createMemoryMutex } from '../../src/providers/mutex/memory-mutex.js';
import { createSqliteStorage } from '../../src/providers/storage/sqlite/index.js';

const ctx: CallContext = { transport: 'rest', metadata: {}, peer: '127.0.0.1' };
const entity = { domain: 'd', type: 't', key: 'k', values: { n: 1 } };
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

/** A core whose request policy holds every Set until `release()`. */
async function start(): Promise<{ stategate: Stategate; release(): void; held: Promise<void> }> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let arrived!: () => void;
  const held = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const stategate = await createStategate({
    storage: createSqliteStorage({ path: ':memory:' }),
    bus: createMemoryBus(),
    cache: createMemoryCache(),
    mutex: createMemoryMutex(),
    access: {
      authenticate: async () => ({}),
      allowRequest: async (input) => {
        if (input.method.endsWith('/Set')) {
          arrived();
          await gate;
        }
        return true;
      },
      allowResponse: async () => true,
    },
  });
  return { stategate, release, held };
}

it('ends streams, then lets a running Set finish and answers it before storage closes', async () => {
  const { stategate, release, held } = await start();
  const stream = await stategate.api.events.stream(ctx, { domain: 'd' });
  const streamEnded = (async () => {
    try {
      for await (const _ of stream) {
        // no event is delivered before the shutdown
      }
      return 'completed';
    } catch (err) {
      return (err as StategateError).code;
    }
  })();
  const set = stategate.api.entities.set(ctx, entity);
  await held;

  let closed = false;
  const closing = stategate.close({ timeoutMs: 60_000 }).then(() => {
    closed = true;
  });
  expect(await streamEnded).toBe('UNAVAILABLE');
  await tick();
  expect(closed).toBe(false); // the Set is still running: storage stays open for it

  release();
  await expect(set).resolves.toMatchObject({ position: 1, entity: { key: 'k', version: 1 } });
  await closing;
  expect(closed).toBe(true);
});

it('waits for the transports first, then for core, and closes anyway after the drain timeout', async () => {
  const { stategate, release, held } = await start();
  const set = stategate.api.entities.set(ctx, entity);
  const outcome = set.then(
    () => 'answered',
    (err: StategateError) => `${err.code}: ${err.message}`,
  );
  await held;
  const order: string[] = [];
  let transportsDone!: () => void;
  const transports = new Promise<void>((resolve) => {
    transportsDone = resolve;
  });
  const closing = stategate
    .close({
      timeoutMs: 200,
      transports: async () => {
        order.push('transports asked');
        await transports;
        order.push('transports drained');
      },
    })
    .then(() => order.push('closed'));
  await tick();
  expect(order).toEqual(['transports asked']);
  transportsDone();
  // The Set stays held past the timeout: the providers close regardless, and the Set, released after,
  // is refused (UNAVAILABLE), never acknowledged.
  await closing;
  expect(order).toEqual(['transports asked', 'transports drained', 'closed']);
  release();
  expect(await outcome).toMatch(/^UNAVAILABLE: /);
});
