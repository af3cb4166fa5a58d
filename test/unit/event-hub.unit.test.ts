import { defaultLimits } from '../../src/core/limits.js';
import type { Event } from '../../src/core/model.js';
import type { BusProvider } from '../../src/core/ports/bus.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import type { StorageProvider } from '../../src/core/ports/storage.js';
import { EventHub } from '../../src/core/stream/event-hub.js';

/** A log in an array: all the event hub reads. */
function fakeLog(events: Event[]): StorageProvider {
  return {
    readLog: async (after: number, limit: number) => events.filter((e) => e.position > after).slice(0, limit),
    headPosition: async () => events.at(-1)?.position ?? 0,
  } as unknown as StorageProvider;
}

/** A bus whose claims fail (as while Redis or NATS is down) until `up` is set. */
function flakyBus(): BusProvider & { up: boolean; claims: string[] } {
  const claimed = new Set<string>();
  return {
    name: 'flaky',
    up: false,
    claims: [],
    async publish() {},
    async subscribe() {
      return async () => {};
    },
    async claim(key) {
      this.claims.push(key);
      if (!this.up) throw new Error('bus down');
      if (claimed.has(key)) return false;
      claimed.add(key);
      return true;
    },
    async close() {},
  };
}

const event = (position: number): Event => ({
  id: `e${position}`,
  entity: { domain: 'd', type: 't', key: 'k', values: { n: position }, version: position },
  claims: {},
  time: BigInt(position),
  method: '/stategate.EntityService/Set',
  position,
});

async function take<T>(iterator: AsyncIterator<T>, within = 1000): Promise<T | 'nothing'> {
  return Promise.race([
    iterator.next().then((r) => r.value as T),
    new Promise<'nothing'>((resolve) => setTimeout(() => resolve('nothing'), within)),
  ]);
}

describe('EventHub when a consumer-group claim fails', () => {
  it('retries the event for the group without giving it twice to a solo stream', async () => {
    const log: Event[] = [];
    const bus = flakyBus();
    const hub = new EventHub(fakeLog(log), bus, { ...defaultLimits, logPollMs: 20 }, silentLogger);
    await hub.start();
    try {
      const solo = hub.subscribe({ domain: '*', type: '*', key: '*' })[Symbol.asyncIterator]();
      const member = hub.subscribe({ domain: '*', type: '*', key: '*', consumerGroup: 'g' })[Symbol.asyncIterator]();

      log.push(event(1));
      hub.committed(log[0]!);
      expect(await take(solo)).toMatchObject({ position: 1 });
      // The claim keeps failing for a few polls: the group waits, nothing is skipped.
      await new Promise((r) => setTimeout(r, 100));
      expect(bus.claims.length).toBeGreaterThan(1);
      bus.up = true;
      expect(await take(member)).toMatchObject({ position: 1 });

      log.push(event(2));
      hub.committed(log[1]!);
      // The solo stream's next item is event 2: event 1 was not offered again on the retries.
      expect(await take(solo)).toMatchObject({ position: 2 });
      expect(await take(member)).toMatchObject({ position: 2 });
    } finally {
      await hub.close();
    }
  });
});
