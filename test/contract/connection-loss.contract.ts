import type { EntityKey } from '../../src/core/model.js';
import type { StorageProvider } from '../../src/core/ports/storage.js';
import { sleep, unique } from './helpers.js';
import { intent } from './storage.contract.js';

/** A plain client of the database, working behind the provider's back. */
export interface Blocker {
  /** Opens a transaction and locks the entity's head row, so an append to it waits. */
  lockHead(target: EntityKey): Promise<void>;
  /** Kills the connection(s) of whatever waits on that lock; returns how many it killed (0: none waits yet). */
  killWaiters(): Promise<number>;
  /** Rolls the transaction back. */
  release(): Promise<void>;
  end(): Promise<void>;
}

/**
 * An append whose connection dies while it waits on a row lock fails UNAVAILABLE, writes nothing, and the
 * provider's next append works: the dead connection is not reused.
 */
export function describeConnectionLossMidAppend(
  name: string,
  open: () => Promise<StorageProvider>,
  openBlocker: () => Promise<Blocker>,
): void {
  describe(`connection loss: ${name}`, () => {
    it('a connection lost mid-append fails it with UNAVAILABLE, writes nothing, and the next append recovers', async () => {
      const store = await open();
      const blocker = await openBlocker();
      const target = { domain: unique('lost'), type: 't', key: 'k' };
      try {
        await store.append(intent.set(target, { v: 1 }));
        // Hold the entity's head row so the next append waits on it, then kill the append's connection.
        await blocker.lockHead(target);
        const outcome = store.append(intent.set(target, { v: 2 })).then(
          () => 'acknowledged',
          (err: { code?: string }) => err.code,
        );
        let killed = 0;
        for (let i = 0; i < 200 && killed === 0; i++) {
          killed = await blocker.killWaiters();
          if (killed === 0) await sleep(10);
        }
        expect(killed).toBe(1);
        expect(await outcome).toBe('UNAVAILABLE');
        await blocker.release();

        expect(await store.getEntity(target)).toEqual({ ...target, values: { v: 1 }, version: 1 });
        const next = await store.append(intent.set(target, { v: 3 }));
        expect(next.entity.version).toBe(2);
      } finally {
        await blocker.end();
        await store.close();
      }
    });
  });
}
