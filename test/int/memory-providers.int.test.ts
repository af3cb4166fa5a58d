import { StategateError } from '../../src/core/errors.js';
import { createMemoryBus } from '../../src/providers/bus/memory-bus.js';
import { createMemoryCache } from '../../src/providers/cache/memory-cache.js';
import { createMemoryMutex } from '../../src/providers/mutex/memory-mutex.js';
import { describeBusContract } from '../contract/bus.contract.js';
import { describeCacheContract } from '../contract/cache.contract.js';
import { sleep } from '../contract/helpers.js';
import { describeMutexContract } from '../contract/mutex.contract.js';

describeBusContract('memory', () => createMemoryBus());
// A sweeper slower than any test proves that `get` itself honours exp, not eviction.
describeCacheContract('memory', () => createMemoryCache({ sweepIntervalMs: 60_000 }));
describeMutexContract('memory', () => createMemoryMutex({ sweepIntervalMs: 60_000 }));

const codeOf = (err: unknown) => (err instanceof StategateError ? err.code : err);

// Beyond the contract: what only the memory providers promise (bounded memory, their options).
describe('memory providers keep memory bounded', () => {
  it('the bus sweeper drops expired claims and unsubscribing drops empty topics', async () => {
    const bus = createMemoryBus({ sweepIntervalMs: 20 });
    try {
      for (let i = 0; i < 50; i++) await bus.claim(`k${i}`, 1000);
      await bus.claim('long', 60_000);
      expect(bus.claimCount).toBe(51);
      await sleep(1200);
      expect(bus.claimCount).toBe(1);
      const stop = await bus.subscribe('t', () => {});
      expect(bus.topicCount).toBe(1);
      await stop();
      expect(bus.topicCount).toBe(0);
    } finally {
      await bus.close();
    }
  });

  it('the cache sweeper evicts expired entries without a get', async () => {
    const cache = createMemoryCache({ sweepIntervalMs: 20 });
    try {
      for (let i = 0; i < 50; i++)
        await cache.set({ domain: 'd', key: `k${i}`, value: i, exp: new Date(Date.now() + 1000) });
      await cache.set({ domain: 'd', key: 'forever', value: 1 });
      expect(cache.size).toBe(51);
      await sleep(1200);
      expect(cache.size).toBe(1);
    } finally {
      await cache.close();
    }
  });

  it('the mutex sweeper drops expired leases but fencing keeps rising', async () => {
    const mutex = createMemoryMutex({ sweepIntervalMs: 20 });
    try {
      const first = await mutex.lock({ domain: 'd', key: 'k' }, 1000);
      for (let i = 0; i < 50; i++) await mutex.lock({ domain: 'd', key: `k${i}` }, 1000);
      expect(mutex.leaseCount).toBe(51);
      await sleep(1200);
      expect(mutex.leaseCount).toBe(0);
      const next = await mutex.lock({ domain: 'd', key: 'k' }, 30);
      expect(next!.fencing).toBeGreaterThan(first!.fencing);
    } finally {
      await mutex.close();
    }
  });
});

describe('memory providers options and input checks', () => {
  it('the bus reports a failing handler to onHandlerError', async () => {
    const errors: [unknown, string][] = [];
    const bus = createMemoryBus({ onHandlerError: (err, topic) => errors.push([err, topic]) });
    try {
      const boom = new Error('boom');
      await bus.subscribe('t', () => {
        throw boom;
      });
      await bus.publish('t', 'x');
      await sleep(20);
      expect(errors).toEqual([[boom, 't']]);
    } finally {
      await bus.close();
    }
  });

  it('rejects a non-positive ttl or sweep interval with INVALID_ARGUMENT', async () => {
    const bus = createMemoryBus();
    const mutex = createMemoryMutex();
    try {
      expect(codeOf(await bus.claim('k', 0).catch((e) => e))).toBe('INVALID_ARGUMENT');
      expect(codeOf(await bus.claim('k', Number.NaN).catch((e) => e))).toBe('INVALID_ARGUMENT');
      expect(codeOf(await mutex.lock({ domain: 'd', key: 'k' }, -1).catch((e) => e))).toBe('INVALID_ARGUMENT');
      expect(() => createMemoryCache({ sweepIntervalMs: 0 })).toThrow(StategateError);
    } finally {
      await bus.close();
      await mutex.close();
    }
  });

  it('the cache rejects an invalid exp date', async () => {
    const cache = createMemoryCache();
    try {
      const err = await cache.set({ domain: 'd', key: 'k', value: 1, exp: new Date(Number.NaN) }).catch((e) => e);
      expect(codeOf(err)).toBe('INVALID_ARGUMENT');
    } finally {
      await cache.close();
    }
  });
});
