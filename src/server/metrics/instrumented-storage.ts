import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Histogram } from 'prom-client';
import type { StorageProvider } from '../../core/ports/storage.js';
import { BATCH_COMMITTED_CHANNEL, type BatchCommitted } from '../../providers/storage/batch-channel.js';
import { STORAGE_CALLS, type StorageCall } from '../storage-calls.js';

/** Every call core makes on storage, and closing it; each is timed under its own `operation` label. */
const OPERATIONS: readonly StorageCall[] = [...STORAGE_CALLS, 'close'];

/**
 * `storage` with each call timed into `duration` (labels operation and outcome ok | error), and the sizes
 * of its group-commit batches (published by the providers, see batch-channel.ts) observed into `batchSize`
 * until it is closed.
 */
export function instrumentStorage(
  storage: StorageProvider,
  duration: Histogram,
  batchSize: Histogram,
): StorageProvider {
  const onBatch = (message: unknown) => batchSize.observe((message as BatchCommitted).size);
  subscribe(BATCH_COMMITTED_CHANNEL, onBatch);
  const timed = { name: storage.name } as Record<string, unknown>;
  for (const operation of OPERATIONS) {
    const call = (storage[operation] as (...args: unknown[]) => Promise<unknown>).bind(storage);
    timed[operation] = async (...args: unknown[]) => {
      const stop = duration.startTimer({ operation });
      try {
        const result = await call(...args);
        stop({ outcome: 'ok' });
        return result;
      } catch (err) {
        stop({ outcome: 'error' });
        throw err;
      } finally {
        if (operation === 'close') unsubscribe(BATCH_COMMITTED_CHANNEL, onBatch);
      }
    };
  }
  return timed as unknown as StorageProvider;
}
