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

/**
 * A bus whose claims fail until `up` is set: as while Redis or NATS is down, or (`landing`) as when the
 * claim is made but its answer is lost on the way back.
 */
function flakyBus(landing = false): BusProvider & { up: boolean; claims: string[] } {
  const claimed = new Map<string, string | undefined>();
  return {
    name: 'flaky',
    up: false,
    claims: [],
    async publish() {},
    async subscribe() {
      return async () => {};
    },
    async claim(key, _ttl, owner) {
      this.claims.push(key);
      if (!this.up && !landing) throw new Error('bus down');
      let won: boolean;
      if (claimed.has(key)) won = owner !== undefined && claimed.get(key) === owner;
      else {
        claimed.set(key, owner);
        won = true;
      }
      if (!this.up) throw new Error('answer lost');
      return won;
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

/** Reads a stream into an array as items arrive. */
function drain<T>(stream: AsyncIterable<T>): T[] {
  const got: T[] = [];
  void (async () => {
    for await (const item of stream) got.push(item);
  })().catch(() => {});
  return got;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const positions = (events: Event[]) => events.map((e) => e.position);

describe('EventHub when a consumer-group claim fails', () => {
  it('delivers an event whose claim landed although its answer was lost, once', async () => {
    const log: Event[] = [];
    const bus = flakyBus(true);
    const hub = new EventHub(fakeLog(log), bus, { ...defaultLimits, logPollMs: 20 }, silentLogger);
    await hub.start();
    try {
      const a = drain(hub.subscribe({ domain: '*', type: '*', key: '*', consumerGroup: 'g' }));
      const b = drain(hub.subscribe({ domain: '*', type: '*', key: '*', consumerGroup: 'g' }));
      log.push(event(1), event(2));
      hub.committed(log[1]!);
      await until(() => bus.claims.length > 4, 'claims retried');
      bus.up = true;
      await until(() => a.length + b.length === 2, 'both events delivered to the group');
      log.push(event(3));
      hub.committed(log[2]!);
      await until(() => a.length + b.length === 3, 'event 3 delivered to the group');
      await new Promise((r) => setTimeout(r, 100));
      expect(positions([...a, ...b]).sort()).toEqual([1, 2, 3]);
    } finally {
      await hub.close();
    }
  });

  it('solo streams go on; the group catches up from the log once claims work, each event once, in order', async () => {
    const log: Event[] = [];
    const bus = flakyBus();
    const hub = new EventHub(fakeLog(log), bus, { ...defaultLimits, logPollMs: 20 }, silentLogger);
    await hub.start();
    const commit = (position: number) => {
      log.push(event(position));
      hub.committed(log.at(-1)!);
    };
    try {
      const solo = drain(hub.subscribe({ domain: '*', type: '*', key: '*' }));
      const member = drain(hub.subscribe({ domain: '*', type: '*', key: '*', consumerGroup: 'g' }));

      // Claims fail: the solo stream still gets every event; the group gets nothing yet.
      for (const position of [1, 2, 3]) commit(position);
      await until(() => solo.length === 3, 'three events on the solo stream while claims fail');
      await until(() => bus.claims.length > 3, 'claims retried');
      expect(member).toEqual([]);

      // Claims work again: the group gets what it missed, in order, then live events.
      bus.up = true;
      await until(() => member.length === 3, 'the group catching up');
      commit(4);
      await until(() => solo.length === 4 && member.length === 4, 'event 4 on both');
      await new Promise((r) => setTimeout(r, 100));
      expect(positions(solo)).toEqual([1, 2, 3, 4]);
      expect(positions(member)).toEqual([1, 2, 3, 4]);
    } finally {
      await hub.close();
    }
  });
});
