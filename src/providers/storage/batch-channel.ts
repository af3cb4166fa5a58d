import { channel } from 'node:diagnostics_channel';

/**
 * Each committed group-commit batch is published here as `{ size }` (node:diagnostics_channel), so metrics
 * can hear batch sizes without every storage provider taking a metrics dependency. Costs nothing when
 * nobody subscribes.
 */
export const BATCH_COMMITTED_CHANNEL = 'stategate:storage:batch-committed';

const batchCommitted = channel(BATCH_COMMITTED_CHANNEL);

export interface BatchCommitted {
  size: number;
}

export function reportBatchCommitted(size: number): void {
  if (batchCommitted.hasSubscribers) batchCommitted.publish({ size } satisfies BatchCommitted);
}
