import type { TriggerStore } from '../../src/core/ports/trigger-store.js';
import type { TriggerSpec } from '../../src/core/triggers/model.js';
import { unique } from './helpers.js';

/** What a provider test hands the suite: a store, and how to let go of what it holds. */
export interface TriggerStoreHandle {
  store: TriggerStore;
  close(): Promise<void>;
}

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

export function spec(name: string, overrides: Partial<TriggerSpec> = {}): TriggerSpec {
  return {
    name,
    url: 'https://hooks.example.com/in',
    domain: 'acct',
    type: '*',
    key: '*',
    secret: SECRET,
    headers: { authorization: 'Bearer x' },
    timeoutMs: 5000,
    maxAttempts: 3,
    ...overrides,
  };
}

const letter = (eventId: string, position: number) => ({
  eventId,
  position,
  domain: 'acct',
  type: 'user',
  key: `k${position}`,
  attempts: 3,
  lastError: 'HTTP 500',
  time: 1_700_000_000_000 + position,
});

/**
 * The trigger store contract: every provider's TriggerStore runs this suite unchanged. Each test uses
 * trigger names of its own, so a shared database's leftovers do not matter.
 */
export function describeTriggerStoreContract(name: string, open: () => Promise<TriggerStoreHandle>): void {
  describe(`trigger store contract: ${name}`, () => {
    let handle: TriggerStoreHandle;
    let store: TriggerStore;
    let prefix: string;
    const n = (s: string) => `${prefix}-${s}`;

    beforeEach(async () => {
      handle = await open();
      store = handle.store;
      await store.open();
      await store.open(); // idempotent
      prefix = unique('t');
    });
    afterEach(async () => {
      // A shared database must not keep them: a stategate process started on it later would deliver them.
      for (const record of await store.list()) {
        if (record.spec.name.startsWith(prefix)) await store.delete(record.spec.name);
      }
      await handle.close();
    });

    it('creates once, reads back every field (secret and headers included), lists by name', async () => {
      expect(await store.create(spec(n('b')), 42, 1000)).toBe(true);
      expect(await store.create(spec(n('a'), { key: 'k*', headers: {} }), 7, 2000)).toBe(true);
      expect(await store.create(spec(n('a')), 9, 3000)).toBe(false);
      expect(await store.get(n('a'))).toEqual({
        spec: spec(n('a'), { key: 'k*', headers: {} }),
        position: 7,
        epoch: 0,
        lastError: null,
        attempts: 0,
        createdAt: 2000,
      });
      expect((await store.get(n('b')))?.spec).toEqual(spec(n('b')));
      expect(await store.get(n('missing'))).toBeNull();
      const mine = (await store.list()).filter((r) => r.spec.name.startsWith(prefix)).map((r) => r.spec.name);
      expect(mine).toEqual([n('a'), n('b')]);
    });

    it('update replaces the spec and keeps the cursor; delete removes trigger and dead letters', async () => {
      await store.create(spec(n('u')), 5, 1);
      const epoch = (await store.claim(n('u')))!;
      await store.saveProgress(n('u'), epoch, { position: 9, lastError: null, attempts: 0 });
      await store.addDeadLetter(n('u'), epoch, letter('e1', 8));
      expect(await store.update(spec(n('u'), { url: 'https://other.example.com/' }))).toBe(true);
      const updated = (await store.get(n('u')))!;
      expect(updated.spec.url).toBe('https://other.example.com/');
      expect(updated.position).toBe(9);
      expect(await store.update(spec(n('none')))).toBe(false);
      expect(await store.delete(n('u'))).toBe(true);
      expect(await store.delete(n('u'))).toBe(false);
      expect(await store.get(n('u'))).toBeNull();
      expect(await store.listDeadLetters(n('u'), { limit: 10 })).toEqual([]);
      // Re-created under the same name: a fresh trigger, nothing left of the old one.
      await store.create(spec(n('u')), 1, 2);
      expect(await store.countDeadLetters(n('u'))).toBe(0);
      expect((await store.get(n('u')))?.position).toBe(1);
    });

    it('claim bumps the epoch; progress with a stale epoch is refused; the cursor never goes back', async () => {
      await store.create(spec(n('c')), 0, 1);
      const first = (await store.claim(n('c')))!;
      const second = (await store.claim(n('c')))!;
      expect(second).toBeGreaterThan(first);
      expect(await store.claim(n('gone'))).toBeNull();
      expect(await store.saveProgress(n('c'), first, { position: 10, lastError: null, attempts: 0 })).toBe(false);
      expect(await store.saveProgress(n('c'), second, { position: 10, lastError: 'HTTP 503', attempts: 2 })).toBe(true);
      expect(await store.saveProgress(n('c'), second, { position: 4, lastError: null, attempts: 0 })).toBe(true);
      // Saving the same progress again changes nothing and is still accepted.
      expect(await store.saveProgress(n('c'), second, { position: 10, lastError: null, attempts: 0 })).toBe(true);
      expect(await store.get(n('c'))).toMatchObject({ position: 10, epoch: second, lastError: null, attempts: 0 });
      expect(await store.saveProgress(n('gone'), second, { position: 1, lastError: null, attempts: 0 })).toBe(false);
    });

    it('dead letters: filed by position, refiled in place, replay marked and settled, stale epochs refused', async () => {
      await store.create(spec(n('d')), 0, 1);
      const epoch = (await store.claim(n('d')))!;
      expect(await store.addDeadLetter(n('d'), epoch, letter('e3', 3))).toBe(true);
      expect(await store.addDeadLetter(n('d'), epoch, letter('e1', 1))).toBe(true);
      expect(await store.addDeadLetter(n('d'), epoch, letter('e2', 2))).toBe(true);
      expect(await store.addDeadLetter(n('d'), epoch - 1, letter('e9', 9))).toBe(false);
      expect(await store.countDeadLetters(n('d'))).toBe(3);
      const all = await store.listDeadLetters(n('d'), { limit: 10 });
      expect(all.map((l) => l.eventId)).toEqual(['e1', 'e2', 'e3']);
      expect(all[0]).toEqual({ ...letter('e1', 1), replay: false });
      expect((await store.listDeadLetters(n('d'), { limit: 2 })).length).toBe(2);

      expect(await store.markReplay(n('d'), ['e2', 'nope'])).toBe(1);
      expect((await store.listDeadLetters(n('d'), { limit: 10, replayOnly: true })).map((l) => l.eventId)).toEqual([
        'e2',
      ]);
      expect(await store.markReplay(n('d'), null)).toBe(2);
      expect(await store.settleReplay(n('d'), epoch, 'e1', { delivered: true })).toBe(true);
      expect(
        await store.settleReplay(n('d'), epoch, 'e2', { delivered: false, attempts: 6, lastError: 'timeout', time: 5 }),
      ).toBe(true);
      expect(await store.settleReplay(n('d'), epoch - 1, 'e3', { delivered: true })).toBe(false);
      const left = await store.listDeadLetters(n('d'), { limit: 10 });
      expect(left.map((l) => [l.eventId, l.replay, l.attempts, l.lastError])).toEqual([
        ['e2', false, 6, 'timeout'],
        ['e3', true, 3, 'HTTP 500'],
      ]);
      // The same event dead-lettered again replaces its letter (a replay that failed for good).
      await store.addDeadLetter(n('d'), epoch, { ...letter('e3', 3), attempts: 9, lastError: 'HTTP 410' });
      expect(await store.countDeadLetters(n('d'))).toBe(2);
      expect((await store.listDeadLetters(n('d'), { limit: 10 }))[1]).toMatchObject({
        eventId: 'e3',
        attempts: 9,
        replay: false,
      });
    });

    it('concurrent claims all get distinct epochs (one winner for the cursor)', async () => {
      await store.create(spec(n('r')), 0, 1);
      const epochs = await Promise.all([1, 2, 3, 4, 5].map(() => store.claim(n('r'))));
      expect(new Set(epochs).size).toBe(5);
      const last = Math.max(...(epochs as number[]));
      const results = await Promise.all(
        (epochs as number[]).map((e) => store.saveProgress(n('r'), e, { position: e, lastError: null, attempts: 0 })),
      );
      expect(results.filter(Boolean).length).toBe(1);
      expect((await store.get(n('r')))?.position).toBe(last);
    });
  });
}
