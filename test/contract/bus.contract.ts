import { StategateError } from '../../src/core/errors.js';
import type { BusProvider } from '../../src/core/ports/bus.js';
import { type Factory, sleep, unique, waitFor } from './helpers.js';

/**
 * The BusProvider contract. Every implementation (memory, redis, nats) runs it unchanged; `create` is
 * called once per test and its provider closed afterwards. Topics and claim keys are unique per test.
 */
export function describeBusContract(name: string, create: Factory<BusProvider>): void {
  describe(`BusProvider contract: ${name}`, () => {
    let bus: BusProvider;
    beforeEach(async () => {
      bus = await create();
    });
    afterEach(async () => {
      await bus.close();
    });

    /** Subscribes a handler that records what it receives. */
    async function record(topic: string): Promise<{ got: string[]; stop: () => Promise<void> }> {
      const got: string[] = [];
      const stop = await bus.subscribe(topic, (p) => got.push(p));
      return { got, stop };
    }

    it('fans a message out to every subscriber of the topic', async () => {
      const topic = unique('fan');
      const subs = await Promise.all([record(topic), record(topic), record(topic)]);
      await bus.publish(topic, 'hello');
      await waitFor('all three subscribers', () => subs.every((s) => s.got.length === 1));
      for (const s of subs) expect(s.got).toEqual(['hello']);
    });

    it('delivers the payload unchanged', async () => {
      const topic = unique('payload');
      const s = await record(topic);
      const payloads = ['', ' ', '{"a":[1,null,"ü"]}', 'línea\nnueva 😀', 'x'.repeat(100_000)];
      for (const p of payloads) await bus.publish(topic, p);
      await waitFor('every payload', () => s.got.length === payloads.length);
      expect(s.got).toEqual(payloads);
    });

    it('never calls a handler inside the publisher’s call stack', async () => {
      const topic = unique('async');
      const s = await record(topic);
      const published = bus.publish(topic, 'm');
      expect(s.got).toEqual([]); // nothing may have run synchronously
      await published;
      await waitFor('the message', () => s.got.length === 1);
    });

    it('keeps topics apart', async () => {
      const a = unique('a');
      const b = unique('b');
      const sa = await record(a);
      const sb = await record(b);
      await bus.publish(a, 'for-a');
      await bus.publish(b, 'for-b');
      await waitFor('both topics', () => sa.got.length === 1 && sb.got.length === 1);
      await sleep(50); // give a misrouted copy time to show up
      expect(sa.got).toEqual(['for-a']);
      expect(sb.got).toEqual(['for-b']);
    });

    it('preserves publish order per topic for 1000 messages', async () => {
      const topic = unique('order');
      const s = await record(topic);
      const sent = Array.from({ length: 1000 }, (_, i) => `m${i}`);
      // Published back to back without awaiting each one: order must hold for concurrent publishes too.
      await Promise.all(sent.map((p) => bus.publish(topic, p)));
      await waitFor('1000 messages', () => s.got.length >= 1000, 10_000);
      expect(s.got).toEqual(sent);
    });

    it('stops delivery after unsubscribe, leaving other subscribers alone', async () => {
      const topic = unique('unsub');
      const gone = await record(topic);
      const kept = await record(topic);
      await bus.publish(topic, 'before');
      await waitFor('the first message', () => gone.got.length === 1 && kept.got.length === 1);
      await gone.stop();
      await gone.stop(); // unsubscribing twice is harmless
      await bus.publish(topic, 'after');
      await waitFor('the second message', () => kept.got.length === 2);
      await sleep(50);
      expect(gone.got).toEqual(['before']);
      expect(kept.got).toEqual(['before', 'after']);
    });

    it('does not deliver to a handler unsubscribed between publish and delivery', async () => {
      const topic = unique('race');
      const gone = await record(topic);
      const kept = await record(topic);
      const published = bus.publish(topic, 'm');
      await gone.stop();
      await published;
      await waitFor('the kept subscriber', () => kept.got.length === 1);
      await sleep(50);
      expect(gone.got).toEqual([]);
    });

    it('does not deliver earlier messages to a later subscriber', async () => {
      const topic = unique('late');
      const early = await record(topic);
      await bus.publish(topic, 'old');
      const late = await record(topic);
      await bus.publish(topic, 'new');
      await waitFor('both messages', () => early.got.length === 2 && late.got.length === 1);
      expect(late.got).toEqual(['new']);
    });

    it('keeps delivering when a handler throws', async () => {
      const topic = unique('throw');
      let thrown = 0;
      await bus.subscribe(topic, () => {
        thrown++;
        throw new Error('handler failure');
      });
      await bus.subscribe(topic, async () => {
        thrown++;
        throw new Error('async handler failure');
      });
      const s = await record(topic);
      await bus.publish(topic, 'one');
      await bus.publish(topic, 'two');
      await waitFor('both messages despite the failing handlers', () => s.got.length === 2);
      expect(s.got).toEqual(['one', 'two']);
      expect(thrown).toBe(4);
    });

    it('lets exactly one of 100 concurrent claims win', async () => {
      const key = unique('claim');
      const results = await Promise.all(Array.from({ length: 100 }, () => bus.claim(key, 10_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await bus.claim(key, 10_000)).toBe(false);
    });

    it('makes a key claimable again once its ttl has passed', async () => {
      const key = unique('ttl');
      expect(await bus.claim(key, 100)).toBe(true);
      expect(await bus.claim(key, 100)).toBe(false);
      await sleep(200);
      const again = await Promise.all(Array.from({ length: 10 }, () => bus.claim(key, 10_000)));
      expect(again.filter(Boolean)).toHaveLength(1);
    });

    it('gives a claim again to its owner while it holds, and to nobody else', async () => {
      const key = unique('owned');
      expect(await bus.claim(key, 10_000, 'me')).toBe(true);
      expect(await bus.claim(key, 10_000, 'me')).toBe(true);
      expect(await bus.claim(key, 10_000, 'you')).toBe(false);
      expect(await bus.claim(key, 10_000)).toBe(false);
      const other = unique('owned');
      expect(await bus.claim(other, 10_000, 'you')).toBe(true);
      expect(await bus.claim(other, 10_000, 'me')).toBe(false);
    });

    it('claims keys independently', async () => {
      const a = unique('ka');
      const b = unique('kb');
      expect(await bus.claim(a, 10_000)).toBe(true);
      expect(await bus.claim(b, 10_000)).toBe(true);
      expect(await bus.claim(a, 10_000)).toBe(false);
    });

    it('rejects publish with UNAVAILABLE after close, and stops delivering', async () => {
      const topic = unique('closed');
      const s = await record(topic);
      await bus.close();
      await bus.close(); // closing twice is harmless
      const err = await bus.publish(topic, 'late').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StategateError);
      expect((err as StategateError).code).toBe('UNAVAILABLE');
      await sleep(50);
      expect(s.got).toEqual([]);
    });
  });
}
