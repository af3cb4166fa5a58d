import { type StategateError, unavailable } from '../../../core/errors.js';
import type { Logger } from '../../../core/ports/logger.js';
import { reportBatchCommitted } from '../batch-channel.js';
import { type BatchOutcome, settleBatch } from '../batch-queue.js';

/**
 * Commits a batch in one transaction and returns one outcome per item, in order, after COMMIT. Throws when
 * the batch as a whole failed (nothing of it was committed).
 */
export type CommitBatch<I, R> = (items: readonly I[]) => BatchOutcome<R>[];

interface Pending<I, R> {
  item: I;
  resolve: (value: R) => void;
  reject: (error: StategateError) => void;
}

/**
 * Group commit: items enqueued during one turn of the event loop are committed together by a flush
 * scheduled with setImmediate, so many concurrent writers share one transaction and one fsync. A batch is
 * capped at `maxBatch` items so that the event loop is never blocked long and latency stays bounded; the
 * rest goes to the next flush. Promises settle only after the batch's COMMIT returned, so nothing is
 * acknowledged before it is durable (G1). A batch that fails as a whole rejects every item with UNAVAILABLE
 * (the original error kept as `cause`).
 */
export class GroupCommitter<I, R> {
  private queue: Pending<I, R>[] = [];
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly commitBatch: CommitBatch<I, R>,
    private readonly maxBatch: number,
    private readonly logger: Logger,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError('maxBatch must be a positive integer');
  }

  /** Queues one item; settles once its batch committed (or failed). */
  submit(item: I): Promise<R> {
    if (this.closed) return Promise.reject(unavailable('storage is closed'));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Refuses new items and commits everything queued so far, synchronously. */
  close(): void {
    this.closed = true;
    while (this.queue.length > 0) this.flush();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
      if (this.queue.length > 0) this.schedule();
    });
  }

  private flush(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    let outcomes: BatchOutcome<R>[];
    const started = performance.now();
    try {
      outcomes = this.commitBatch(batch.map((p) => p.item));
    } catch (err) {
      this.logger.error({ err, batchSize: batch.length }, 'storage batch failed; no mutation of it was committed');
      const error = unavailable('storage is unavailable; the mutation was not committed', err);
      for (const pending of batch) pending.reject(error);
      return;
    }
    this.logger.debug({ batchSize: batch.length, ms: performance.now() - started }, 'storage batch committed');
    reportBatchCommitted(batch.length);
    settleBatch(batch, outcomes);
  }
}
