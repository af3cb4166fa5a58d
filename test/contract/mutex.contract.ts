import { StategateError } from '../../src/core/errors.js';
import type { MutexLease } from '../../src/core/model.js';
import type { MutexProvider } from '../../src/core/ports/cache.js';
import { type Factory, sleep, unique } from './helpers.js';

/**
 * The MutexProvider contract (G7: one holder at a time, fencing numbers strictly increase). Every
 * implementation (memory, redis, nats) runs it unchanged; `create` is called once per test and its provider
 * closed afterwards. Keys are unique per test.
 */
export function describeMutexContract(name: string, create: Factory<MutexProvider>): void {
  describe(`MutexProvider contract: ${name}`, () => {
    let mutex: MutexProvider;
    let domain: string;
    beforeEach(async () => {
      mutex = await create();
      domain = unique('domain');
    });
    afterEach(async () => {
      await mutex.close();
    });

    const LONG = 60_000;
    const mustLock = async (key: string, ttlMs = LONG): Promise<MutexLease> => {
      const lease = await mutex.lock({ domain, key }, ttlMs);
      if (!lease) throw new Error(`expected a lease on ${key}`);
      return lease;
    };

    it('grants a lease that names the key, its expiry, a token and a fencing number', async () => {
      const before = Date.now();
      const lease = await mustLock('k', 5000);
      expect(lease.domain).toBe(domain);
      expect(lease.key).toBe('k');
      expect(lease.exp.getTime()).toBeGreaterThanOrEqual(before + 5000 - 1000);
      expect(lease.exp.getTime()).toBeLessThanOrEqual(Date.now() + 5000 + 1000);
      expect(typeof lease.token).toBe('string');
      expect(lease.token.length).toBeGreaterThanOrEqual(16); // unguessable
      expect(Number.isSafeInteger(lease.fencing)).toBe(true);
      expect(lease.fencing).toBeGreaterThan(0);
    });

    it('grants exactly one lease among 100 concurrent lock calls', async () => {
      const leases = await Promise.all(Array.from({ length: 100 }, () => mutex.lock({ domain, key: 'k' }, LONG)));
      expect(leases.filter((l) => l !== null)).toHaveLength(1);
    });

    it('answers null while the lock is held', async () => {
      await mustLock('k');
      expect(await mutex.lock({ domain, key: 'k' }, LONG)).toBeNull();
    });

    it('grants a higher fencing number after unlock', async () => {
      const first = await mustLock('k');
      expect(await mutex.unlock({ domain, key: 'k', token: first.token })).toBe('released');
      const second = await mustLock('k');
      expect(second.fencing).toBeGreaterThan(first.fencing);
      expect(second.token).not.toBe(first.token);
      expect(await mutex.unlock({ domain, key: 'k' })).toBe('released');
      const third = await mustLock('k');
      expect(third.fencing).toBeGreaterThan(second.fencing);
    });

    it('frees the lock when its ttl passes, with a higher fencing number', async () => {
      const first = await mustLock('k', 100);
      expect(await mutex.lock({ domain, key: 'k' }, LONG)).toBeNull();
      await sleep(200);
      const second = await mustLock('k');
      expect(second.fencing).toBeGreaterThan(first.fencing);
    });

    it('keeps fencing numbers strictly increasing over many grants', async () => {
      const seen: number[] = [];
      for (let i = 0; i < 20; i++) {
        const lease = await mustLock('k');
        seen.push(lease.fencing);
        await mutex.unlock({ domain, key: 'k', token: lease.token });
      }
      for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]!);
    });

    it('refuses a wrong token and keeps the lock held', async () => {
      const lease = await mustLock('k');
      expect(await mutex.unlock({ domain, key: 'k', token: 'not-the-token' })).toBe('wrong-token');
      expect(await mutex.lock({ domain, key: 'k' }, LONG)).toBeNull();
      expect(await mutex.unlock({ domain, key: 'k', token: lease.token })).toBe('released');
    });

    it('answers not-held for a free, released or expired lock, token or not', async () => {
      expect(await mutex.unlock({ domain, key: 'never' })).toBe('not-held');
      expect(await mutex.unlock({ domain, key: 'never', token: 'x' })).toBe('not-held');
      const released = await mustLock('released');
      await mutex.unlock({ domain, key: 'released', token: released.token });
      expect(await mutex.unlock({ domain, key: 'released', token: released.token })).toBe('not-held');
      expect(await mutex.unlock({ domain, key: 'released' })).toBe('not-held');
      const expired = await mustLock('expired', 50);
      await sleep(120);
      expect(await mutex.unlock({ domain, key: 'expired', token: expired.token })).toBe('not-held');
      expect(await mutex.unlock({ domain, key: 'expired', token: 'someone-else' })).toBe('not-held');
      expect(await mutex.unlock({ domain, key: 'expired' })).toBe('not-held');
    });

    it('does not let a stale token release the next holder', async () => {
      const stale = await mustLock('k', 50);
      await sleep(120);
      const current = await mustLock('k');
      expect(await mutex.unlock({ domain, key: 'k', token: stale.token })).toBe('wrong-token');
      expect(await mutex.unlock({ domain, key: 'k', token: current.token })).toBe('released');
    });

    it('keeps independent keys and domains apart', async () => {
      const other = unique('domain');
      const a = await mustLock('a:b');
      const b = await mustLock('b');
      const c = await mutex.lock({ domain: `${domain}:a`, key: 'b' }, LONG);
      const d = await mutex.lock({ domain: other, key: 'a:b' }, LONG);
      expect(c).not.toBeNull();
      expect(d).not.toBeNull();
      expect(await mutex.unlock({ domain, key: 'b', token: a.token })).toBe('wrong-token');
      expect(await mutex.unlock({ domain, key: 'a:b', token: a.token })).toBe('released');
      expect(await mutex.lock({ domain, key: 'b' }, LONG)).toBeNull(); // b is still held
      expect(await mutex.lock({ domain: other, key: 'a:b' }, LONG)).toBeNull();
      expect(await mutex.unlock({ domain, key: 'b', token: b.token })).toBe('released');
    });

    it('rejects calls with UNAVAILABLE after close', async () => {
      await mutex.close();
      await mutex.close(); // closing twice is harmless
      const err = await mutex.lock({ domain, key: 'k' }, LONG).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StategateError);
      expect((err as StategateError).code).toBe('UNAVAILABLE');
    });
  });
}
