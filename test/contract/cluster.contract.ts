import type { BusProvider } from '../../src/core/ports/bus.js';
import type { MutexProvider } from '../../src/core/ports/cache.js';
import { type Factory, sleep, unique, waitFor } from './helpers.js';

/**
 * What one provider instance cannot show: two instances (two connections, as two stategate processes
 * would have) sharing one server. Claims and locks are exclusive across them; messages cross between them.
 */
export function describeBusAcrossInstances(name: string, create: Factory<BusProvider>): void {
  describe(`BusProvider across two instances: ${name}`, () => {
    let a: BusProvider;
    let b: BusProvider;
    beforeEach(async () => {
      [a, b] = await Promise.all([create(), create()]);
    });
    afterEach(async () => {
      await Promise.all([a?.close(), b?.close()]);
    });

    it('delivers a message published on one instance to subscribers on the other, in order', async () => {
      const topic = unique('cross');
      const got: string[] = [];
      await b.subscribe(topic, (p) => got.push(p));
      const sent = Array.from({ length: 200 }, (_, i) => `m${i}`);
      await Promise.all(sent.map((p) => a.publish(topic, p)));
      await waitFor('200 messages on the other instance', () => got.length >= 200, 5000);
      expect(got).toEqual(sent);
    });

    it('lets exactly one of 100 claims win across instances, also once the ttl has passed', async () => {
      const key = unique('claim');
      // The ttl must outlast the whole race: a claim made after the winner's ttl rightly wins again.
      const ttl = 1000;
      const race = async () => {
        const started = Date.now();
        const results = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).claim(key, ttl)));
        expect(Date.now() - started).toBeLessThan(ttl);
        return results.filter(Boolean).length;
      };
      expect(await race()).toBe(1);
      await sleep(ttl + 100);
      expect(await race()).toBe(1);
    });
  });
}

export function describeMutexAcrossInstances(name: string, create: Factory<MutexProvider>): void {
  describe(`MutexProvider across two instances: ${name}`, () => {
    it('grants one lease among 100 lock calls on two instances, fencing rising across them', async () => {
      const [a, b] = await Promise.all([create(), create()]);
      try {
        const domain = unique('domain');
        const leases = await Promise.all(
          Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).lock({ domain, key: 'k' }, 60_000)),
        );
        const won = leases.filter((l) => l !== null);
        expect(won).toHaveLength(1);
        expect(await a.unlock({ domain, key: 'k', token: won[0]!.token })).toBe('released');
        const next = await b.lock({ domain, key: 'k' }, 60_000);
        expect(next!.fencing).toBeGreaterThan(won[0]!.fencing);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
}
