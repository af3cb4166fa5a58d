import { StategateError, unavailable } from '../../core/errors.js';
import { reportBatchCommitted } from './batch-channel.js';

/** The fate of one item of a batch that committed: its result, or the error that refused only it. */
export type BatchOutcome<R> = { ok: true; value: R } | { ok: false; error: StategateError };

/**
 * Commits a batch in one transaction and returns one outcome per item, in order, after COMMIT returned.
 * Rejects when the batch as a whole failed (nothing of it was committed).
 */
export type CommitBatchAsync<I, R> = (items: readonly I[]) => Promise<BatchOutcome<R>[]>;

export interface BatchQueueOptions {
  /** Most items per batch; the rest wait for the next one. */
  maxBatch: number;
  /**
   * An item that has not started within this many ms fails with UNAVAILABLE and is never tried, so a
   * caller gets an answer in bounded time while the database hangs, and the write is not applied later.
   */
  queueTimeoutMs: number;
  /** The error a whole failed batch rejects its items with. */
  batchFailed: (err: unknown) => StategateError;
}

/** What a committed batch does with its items: each gets its outcome, in order. */
export function settleBatch<R>(
  batch: ReadonlyArray<{ resolve: (value: R) => void; reject: (error: StategateError) => void }>,
  outcomes: readonly BatchOutcome<R>[],
): void {
  batch.forEach((pending, i) => {
    const outcome = outcomes[i];
    if (!outcome) pending.reject(StategateError.from(new Error('storage batch returned too few outcomes')));
    else if (outcome.ok) pending.resolve(outcome.value);
    else pending.reject(outcome.error);
  });
}

interface Pending<I, R> {
  item: I;
  state: 'queued' | 'started' | 'abandoned';
  timer: NodeJS.Timeout;
  resolve: (value: R) => void;
  reject: (error: StategateError) => void;
}

/**
 * Group commit for a networked database: one batch in flight at a time per instance; whatever is
 * submitted while it commits forms the next batch. Many concurrent writers so share one transaction and
 * one commit flush, yet items commit in submission order, so an item sees the effect of every item
 * submitted before it. Promises settle only after their batch's COMMIT returned (G1).
 */
export class BatchQueue<I, R> {
  private queue: Pending<I, R>[] = [];
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly commit: CommitBatchAsync<I, R>,
    private readonly options: BatchQueueOptions,
  ) {}

  submit(item: I): Promise<R> {
    if (this.closed) return Promise.reject(unavailable('storage is closed'));
    return new Promise<R>((resolve, reject) => {
      const pending: Pending<I, R> = {
        item,
        state: 'queued',
        resolve,
        reject,
        timer: setTimeout(() => {
          if (pending.state !== 'queued') return;
          pending.state = 'abandoned';
          reject(unavailable('the database is not answering: the write waited too long and was not applied'));
        }, this.options.queueTimeoutMs),
      };
      this.queue.push(pending);
      this.drain();
    });
  }

  /** Refuses new items and waits until everything already submitted has settled. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.running;
  }

  private drain(): void {
    if (this.running) return;
    this.running = this.run().finally(() => {
      this.running = null;
      // Items submitted between the loop's last look and this line start their own batch.
      if (this.queue.length > 0) this.drain();
    });
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch).filter((p) => p.state === 'queued');
      for (const pending of batch) {
        pending.state = 'started';
        clearTimeout(pending.timer);
      }
      if (batch.length > 0) await this.commitOne(batch);
    }
  }

  private async commitOne(batch: Pending<I, R>[]): Promise<void> {
    let outcomes: BatchOutcome<R>[];
    try {
      outcomes = await this.commit(batch.map((p) => p.item));
    } catch (err) {
      const error = this.options.batchFailed(err);
      for (const pending of batch) pending.reject(error);
      return;
    }
    reportBatchCommitted(batch.length);
    settleBatch(batch, outcomes);
  }
}
