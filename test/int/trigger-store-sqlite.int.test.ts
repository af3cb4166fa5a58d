import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTriggerStore } from '../../src/core/ports/trigger-store.js';
import { createSqliteStorage } from '../../src/providers/storage/sqlite/index.js';
import { describeTriggerStoreContract, spec } from '../contract/trigger-store.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'stategate-trigger-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function open(path = join(dir, 'store.db')) {
  const storage = createSqliteStorage({ path });
  if (!hasTriggerStore(storage)) throw new Error('sqlite storage has no trigger store');
  return { storage, store: storage.triggerStore(), close: () => storage.close() };
}

describeTriggerStoreContract('sqlite', async () => open());

describe('sqlite trigger store', () => {
  it('keeps triggers and cursors across a reopen', async () => {
    const path = join(dir, 'reopen.db');
    const first = open(path);
    await first.store.open();
    await first.store.create(spec('keep'), 3, 1);
    const epoch = (await first.store.claim('keep'))!;
    await first.store.saveProgress('keep', epoch, { position: 11, lastError: null, attempts: 0 });
    await first.close();
    const second = open(path);
    try {
      await second.store.open();
      expect(await second.store.get('keep')).toMatchObject({ position: 11, epoch });
    } finally {
      await second.close();
    }
  });

  it('refuses with UNAVAILABLE once the storage is closed', async () => {
    const handle = open(join(dir, 'closed.db'));
    await handle.store.open();
    await handle.close();
    await expect(handle.store.list()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
