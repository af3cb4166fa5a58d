import { execFile } from 'node:child_process';
import { Socket } from 'node:net';
import { promisify } from 'node:util';
import type { Event } from '../../src/core/model.js';
import type { StorageProvider } from '../../src/core/ports/storage.js';
import { createCassandraStorage } from '../../src/providers/storage/cassandra/index.js';
import { needService, sleep, unique } from '../contract/helpers.js';
import { intent } from '../contract/storage.contract.js';

/*
 * Cassandra goes away under a running provider (scripts/services.sh down, as an operator's restart would)
 * and comes back: meanwhile appends and reads fail UNAVAILABLE, and afterwards the same provider carries
 * on without a restart, the entity's versions and the log continuing where they were.
 */

const ADDR = process.env.STATEGATE_TEST_CASSANDRA_ADDR ?? '127.0.0.1:9042';
const KEYSPACE = 'stategate_test_restart';
const run = promisify(execFile);

async function service(action: 'up' | 'down'): Promise<void> {
  await run('bash', ['scripts/services.sh', action, 'cassandra'], { timeout: 240_000 });
}

/**
 * cassandra-driver 4.10 leaves two sockets to the node open when a client that lived through a node restart
 * is shut down (its pools report none), which would keep this test process alive. The server is not
 * affected (it exits once closed); here they are closed by hand once the provider has shut its client down.
 */
function closeLeftoverSockets(): void {
  const port = Number(ADDR.slice(ADDR.lastIndexOf(':') + 1));
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  for (const handle of handles)
    if (handle instanceof Socket && handle.remotePort === port && handle.remoteAddress !== undefined) handle.destroy();
}

describe('cassandra storage across a Cassandra restart', () => {
  let store: StorageProvider;

  afterAll(async () => {
    // Whatever happened, leave Cassandra running for the tests after this one.
    await service('up');
    await store?.close();
    closeLeftoverSockets();
  }, 240_000);

  it('fails UNAVAILABLE while Cassandra is down and carries on once it is back', async () => {
    store = await needService('cassandra', createCassandraStorage({ addr: ADDR, keyspace: KEYSPACE }));
    const target = { domain: unique('restart'), type: 't', key: 'k' };
    const before = await store.append(intent.set(target, { n: 1 }));

    await service('down');
    await expect(store.append(intent.set(target, { n: 2 }))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(store.getEntity(target)).rejects.toMatchObject({ code: 'UNAVAILABLE' });

    await service('up');
    // The driver opens its connections again on its own (backing off up to 10 s); nothing else restarts.
    let after: Event | null = null;
    for (let attempt = 0; attempt < 120 && after === null; attempt++) {
      after = await store.append(intent.set(target, { n: 3 })).catch((err: { code?: string }) => {
        if (err.code !== 'UNAVAILABLE') throw err;
        return null;
      });
      if (after === null) await sleep(250);
    }
    expect(after).not.toBeNull();
    expect(after!.entity.version).toBe(2);
    expect(after!.position).toBe(before.position + 1);
    expect(await store.getEntity(target)).toEqual({ ...target, values: { n: 3 }, version: 2 });
  }, 240_000);
});
