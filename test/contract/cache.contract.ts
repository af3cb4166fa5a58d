import { StategateError } from '../../src/core/errors.js';
import type { JsonValue } from '../../src/core/model.js';
import type { CacheProvider } from '../../src/core/ports/cache.js';
import { type Factory, sleep, unique } from './helpers.js';

/**
 * The CacheProvider contract. Every implementation (memory, redis, nats) runs it unchanged; `create` is called
 * once per test and its provider closed afterwards. Expiry tests need the provider's own eviction to be
 * slower than ~150 ms to prove that `get` honours `exp` before eviction; pass a factory configured so.
 */
export function describeCacheContract(name: string, create: Factory<CacheProvider>): void {
  describe(`CacheProvider contract: ${name}`, () => {
    let cache: CacheProvider;
    let domain: string;
    beforeEach(async () => {
      cache = await create();
      domain = unique('domain');
    });
    afterEach(async () => {
      await cache.close();
    });

    const inMs = (ms: number) => new Date(Date.now() + ms);

    it('sets, gets and deletes a value', async () => {
      await cache.set({ domain, key: 'k', value: { a: 1 } });
      expect(await cache.get({ domain, key: 'k' })).toEqual({ domain, key: 'k', value: { a: 1 } });
      await cache.del({ domain, key: 'k' });
      expect(await cache.get({ domain, key: 'k' })).toBeNull();
    });

    it('answers null for a missing key and ignores deleting one', async () => {
      expect(await cache.get({ domain, key: 'missing' })).toBeNull();
      await expect(cache.del({ domain, key: 'missing' })).resolves.toBeUndefined();
    });

    it('overwrites a value, including its expiry', async () => {
      await cache.set({ domain, key: 'k', value: 'first', exp: inMs(100) });
      await cache.set({ domain, key: 'k', value: 'second' });
      await sleep(200);
      expect((await cache.get({ domain, key: 'k' }))?.value).toBe('second');
    });

    const values: [string, JsonValue][] = [
      ['object', { nested: { list: [1, 'two', null, { deep: true }] }, 'key with spaces': 'ü😀' }],
      ['array', [1, 'a', false, null, [], {}]],
      ['empty object', {}],
      ['string', 'text'],
      ['empty string', ''],
      ['number', 3.25],
      ['zero', 0],
      ['negative number', -42],
      ['boolean true', true],
      ['boolean false', false],
      ['null', null],
    ];
    it.each(values)('stores any JSON value: %s', async (_label, value) => {
      await cache.set({ domain, key: 'v', value });
      const got = await cache.get({ domain, key: 'v' });
      expect(got).not.toBeNull(); // a stored null must not read as "missing"
      expect(got?.value).toStrictEqual(value);
    });

    it('keeps domains and keys apart, whatever characters they contain', async () => {
      const other = unique('domain');
      await cache.set({ domain: `${domain}:a`, key: 'b', value: 1 });
      await cache.set({ domain, key: 'a:b', value: 2 });
      await cache.set({ domain: other, key: 'a:b', value: 3 });
      expect((await cache.get({ domain: `${domain}:a`, key: 'b' }))?.value).toBe(1);
      expect((await cache.get({ domain, key: 'a:b' }))?.value).toBe(2);
      expect((await cache.get({ domain: other, key: 'a:b' }))?.value).toBe(3);
      await cache.del({ domain, key: 'a:b' });
      expect((await cache.get({ domain: other, key: 'a:b' }))?.value).toBe(3);
    });

    it('is not affected by callers mutating their objects', async () => {
      const value = { list: [1], inner: { x: 1 } };
      await cache.set({ domain, key: 'k', value });
      value.list.push(2);
      value.inner.x = 99;
      const first = await cache.get({ domain, key: 'k' });
      expect(first?.value).toEqual({ list: [1], inner: { x: 1 } });
      (first!.value as { list: number[] }).list.push(3);
      expect((await cache.get({ domain, key: 'k' }))?.value).toEqual({ list: [1], inner: { x: 1 } });
    });

    it('returns the expiry it was given', async () => {
      const exp = inMs(60_000);
      await cache.set({ domain, key: 'k', value: 1, exp });
      const got = await cache.get({ domain, key: 'k' });
      expect(got?.exp).toBeInstanceOf(Date);
      expect(Math.abs((got?.exp?.getTime() ?? 0) - exp.getTime())).toBeLessThan(1000);
    });

    it('never returns a value past its exp, even before eviction', async () => {
      await cache.set({ domain, key: 'short', value: 'v', exp: inMs(1000) });
      expect((await cache.get({ domain, key: 'short' }))?.value).toBe('v');
      await sleep(1200);
      expect(await cache.get({ domain, key: 'short' })).toBeNull();
    });

    it('keeps a value without exp', async () => {
      await cache.set({ domain, key: 'forever', value: 'v' });
      await cache.set({ domain, key: 'short', value: 'v', exp: inMs(50) });
      await sleep(150);
      expect((await cache.get({ domain, key: 'forever' }))?.value).toBe('v');
      expect(await cache.get({ domain, key: 'short' })).toBeNull();
    });

    it('rejects calls with UNAVAILABLE after close', async () => {
      await cache.close();
      await cache.close(); // closing twice is harmless
      const err = await cache.get({ domain, key: 'k' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StategateError);
      expect((err as StategateError).code).toBe('UNAVAILABLE');
    });
  });
}
