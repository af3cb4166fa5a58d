import { connect, type NatsConnection } from 'nats';
import { StategateError } from '../../src/core/errors.js';
import { createNatsCache } from '../../src/providers/cache/nats-cache.js';
import { createNatsMutex } from '../../src/providers/mutex/nats-mutex.js';
import { pairKey } from '../../src/providers/nats/keys.js';
import { describeCacheContract } from '../contract/cache.contract.js';
import { describeMutexAcrossInstances } from '../contract/cluster.contract.js';
import { needService, sleep, unique } from '../contract/helpers.js';
import { describeMutexContract } from '../contract/mutex.contract.js';

// A real NATS with JetStream, started by scripts/services.sh; without one these tests fail, never skip.
const url = process.env.STATEGATE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

describeCacheContract('nats', () => needService('nats', createNatsCache({ url })));
describeMutexContract('nats', () => needService('nats', createNatsMutex({ url })));
describeMutexAcrossInstances('nats', () => needService('nats', createNatsMutex({ url })));

/** Names NATS would read as separators, wildcards or invalid key characters. */
const awkward = ['a.b', 'a b', 'ü😀', '*', '>', 'a.*.>', '$KV', '-_/=', '.', '€'.repeat(256)];

describe('nats cache and mutex: what the contracts cannot see', () => {
  let raw: NatsConnection;
  beforeAll(async () => {
    raw = await needService('nats', connect({ servers: url }));
  });
  afterAll(() => raw?.close());

  it('keeps every awkward domain and key apart in the cache, with no wildcard effect', async () => {
    const cache = await createNatsCache({ url });
    try {
      const domain = unique('d');
      const pairs = awkward.flatMap((d) => awkward.map((k) => [`${domain}${d}`, k] as const));
      await Promise.all(pairs.map(([d, k], i) => cache.set({ domain: d, key: k, value: i })));
      const got = await Promise.all(pairs.map(([d, k]) => cache.get({ domain: d, key: k })));
      expect(got.map((e) => e?.value)).toEqual(pairs.map((_, i) => i));
      // Deleting `*` or `>` removes that key only, not everything it would match as a subject.
      await cache.del({ domain: `${domain}*`, key: '>' });
      expect(await cache.get({ domain: `${domain}*`, key: '>' })).toBeNull();
      expect((await cache.get({ domain: `${domain}*`, key: '*' }))?.value).toBeDefined();
      expect((await cache.get({ domain: `${domain}a.b`, key: '>' }))?.value).toBeDefined();
    } finally {
      await cache.close();
    }
  });

  it('locks awkward keys independently', async () => {
    const mutex = await createNatsMutex({ url });
    try {
      const domain = unique('d');
      const leases = await Promise.all(awkward.map((k) => mutex.lock({ domain, key: k }, 60_000)));
      expect(leases.every((l) => l !== null)).toBe(true);
      expect(await mutex.unlock({ domain, key: '>' })).toBe('released');
      expect(await mutex.lock({ domain, key: '*' }, 60_000)).toBeNull(); // `*` is still held
    } finally {
      await mutex.close();
    }
  });

  it('evicts an expired value from NATS when a read finds it, and by the sweep when nobody reads it', async () => {
    const cache = await createNatsCache({ url, sweepIntervalMs: 300 });
    const kv = await raw.jetstream().views.kv('stategate_cache', { bindOnly: true });
    try {
      const domain = unique('d');
      const inMs = (ms: number) => new Date(Date.now() + ms);
      await cache.set({ domain, key: 'read', value: 1, exp: inMs(100) });
      await cache.set({ domain, key: 'unread', value: 2, exp: inMs(100) });
      await cache.set({ domain, key: 'kept', value: 3 });
      await sleep(150);
      expect(await cache.get({ domain, key: 'read' })).toBeNull();
      const stored = async (key: string) => (await kv.get(pairKey(domain, key)))?.operation === 'PUT';
      const deadline = Date.now() + 5000;
      while ((await stored('read')) || (await stored('unread'))) {
        if (Date.now() > deadline) throw new Error('expired values still in the bucket after 5 s');
        await sleep(50);
      }
      expect(await stored('kept')).toBe(true);
      expect((await cache.get({ domain, key: 'kept' }))?.value).toBe(3);
    } finally {
      await cache.close();
    }
  });

  it('never evicts a value set after the expired one it replaced', async () => {
    const cache = await createNatsCache({ url, sweepIntervalMs: 50 });
    try {
      const domain = unique('d');
      for (let i = 0; i < 20; i++) {
        await cache.set({ domain, key: 'k', value: 'old', exp: new Date(Date.now() + 5) });
        await sleep(10);
        await Promise.all([cache.get({ domain, key: 'k' }), cache.set({ domain, key: 'k', value: i })]);
        expect((await cache.get({ domain, key: 'k' }))?.value).toBe(i);
      }
    } finally {
      await cache.close();
    }
  });

  it('refuses a value larger than the server accepts as INVALID_ARGUMENT', async () => {
    const cache = await createNatsCache({ url });
    try {
      const err = await cache
        .set({ domain: unique('d'), key: 'big', value: 'x'.repeat(2 * 1024 * 1024) })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StategateError);
      expect((err as StategateError).code).toBe('INVALID_ARGUMENT');
    } finally {
      await cache.close();
    }
  });

  it('raises fencing numbers across instances that close and reopen (stategate restarts)', async () => {
    const domain = unique('d');
    let last = 0;
    for (let i = 0; i < 3; i++) {
      const mutex = await createNatsMutex({ url });
      try {
        const lease = await mutex.lock({ domain, key: 'k' }, 60_000);
        expect(lease!.fencing).toBeGreaterThan(last);
        last = lease!.fencing;
        await mutex.unlock({ domain, key: 'k', token: lease!.token });
      } finally {
        await mutex.close();
      }
    }
  });

  it('takes over an expired lease for exactly one of many callers on two instances', async () => {
    const [a, b] = await Promise.all([createNatsMutex({ url }), createNatsMutex({ url })]);
    try {
      const domain = unique('d');
      const first = await a.lock({ domain, key: 'k' }, 100);
      await sleep(150);
      const leases = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).lock({ domain, key: 'k' }, 60_000)),
      );
      const won = leases.filter((l) => l !== null);
      expect(won).toHaveLength(1);
      expect(won[0]!.fencing).toBeGreaterThan(first!.fencing);
      expect(await a.unlock({ domain, key: 'k', token: first!.token })).toBe('wrong-token');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('fails with UNAVAILABLE, not a crash, when NATS is not there', async () => {
    for (const create of [createNatsCache, createNatsMutex]) {
      const err = await create({ url: 'nats://127.0.0.1:1' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StategateError);
      expect((err as StategateError).code).toBe('UNAVAILABLE');
    }
  });
});
