import type { Event } from '../model.js';
import type { Logger } from '../ports/logger.js';
import type { Metrics } from '../ports/metrics.js';
import type { StorageProvider } from '../ports/storage.js';
import type { TriggerStore } from '../ports/trigger-store.js';
import { type BackoffOptions, retryDelayMs } from './backoff.js';
import type { TriggerLease } from './lease.js';
import { triggerMatcher } from './matcher.js';
import type { DeadLetter, TriggerSpec } from './model.js';
import type { WebhookSender } from './ports.js';
import { forEachLimited, sleep } from './sleep.js';

export interface WorkerDeps {
  store: TriggerStore;
  log: Pick<StorageProvider, 'readLog' | 'headPosition' | 'getEvent'>;
  sender: WebhookSender;
  logger: Logger;
  metrics: Metrics;
  /** Entities delivered in parallel. */
  concurrency: number;
  /** Log events read per round; the cursor is saved after each round. */
  batchSize: number;
  /** Wait between reads of the log while there is nothing new, ms. */
  pollMs: number;
  backoff: BackoffOptions;
  /** The gauges of this trigger (lag, position, dead letters), reported by the engine. */
  report(name: string, readings: { position: number; lag: number; deadLetters: number; attempts: number }): void;
}

type Outcome = { delivered: true } | { delivered: false; attempts: number; lastError: string };

/**
 * Delivers one trigger while this instance holds its lease. Each round reads the log after the cursor,
 * sends the matching events (one entity's in version order, entities in parallel up to the concurrency),
 * retries each failure with backoff until maxAttempts, dead-letters what never got a 2xx, and only then
 * moves the durable cursor past the round, fenced by the epoch this worker claimed. A crash mid-round
 * re-sends that round's events: at least once, duplicates only after a failure.
 */
export class TriggerWorker {
  private epoch = 0;

  constructor(
    private readonly name: string,
    private readonly lease: TriggerLease,
    private readonly deps: WorkerDeps,
  ) {}

  async run(): Promise<void> {
    const { store, logger } = this.deps;
    const claimed = await store.claim(this.name);
    if (claimed === null) return;
    this.epoch = claimed;
    logger.info({ trigger: this.name, epoch: claimed }, 'trigger: delivering from this instance');
    while (this.lease.held) {
      try {
        if (!(await this.round())) return;
      } catch (err) {
        if (!this.lease.held) return;
        logger.warn({ err, trigger: this.name }, 'trigger: round failed; retrying');
        await sleep(this.deps.pollMs * 5, this.lease.signal);
      }
    }
  }

  /** One round; false when the trigger is gone or another instance took it over. */
  private async round(): Promise<boolean> {
    const { store, log } = this.deps;
    const record = await store.get(this.name);
    if (record === null || record.epoch !== this.epoch) return false;
    const spec = record.spec;
    await this.replayDeadLetters(spec);
    const events = await log.readLog(record.position, this.deps.batchSize);
    const head = events.length > 0 ? await log.headPosition() : record.position;
    this.deps.report(this.name, {
      position: record.position,
      lag: Math.max(0, head - record.position),
      deadLetters: await store.countDeadLetters(this.name),
      attempts: record.attempts,
    });
    if (events.length === 0) {
      await sleep(this.deps.pollMs, this.lease.signal);
      return true;
    }
    const matches = triggerMatcher(spec);
    const byEntity = new Map<string, Event[]>();
    for (const event of events) {
      if (!matches(event)) continue;
      const id = JSON.stringify([event.entity.domain, event.entity.type, event.entity.key]);
      const group = byEntity.get(id);
      if (group) group.push(event);
      else byEntity.set(id, [event]);
    }
    await forEachLimited([...byEntity.values()], this.deps.concurrency, async (group) => {
      for (const event of group) await this.deliverOrDeadLetter(spec, event, record.position);
    });
    if (!this.lease.held) return false;
    const last = events[events.length - 1]!.position;
    return store.saveProgress(this.name, this.epoch, { position: last, lastError: null, attempts: 0 });
  }

  private async deliverOrDeadLetter(spec: TriggerSpec, event: Event, cursor: number): Promise<void> {
    const outcome = await this.deliver(spec, event, cursor);
    if (outcome.delivered) return;
    const filed = await this.deps.store.addDeadLetter(this.name, this.epoch, {
      eventId: event.id,
      position: event.position,
      domain: event.entity.domain,
      type: event.entity.type,
      key: event.entity.key,
      attempts: outcome.attempts,
      lastError: outcome.lastError,
    });
    if (!filed) throw new Error('trigger taken over by another instance');
    this.deps.metrics.count('triggerDeliveries', { trigger: this.name, outcome: 'dead_lettered' });
    this.deps.logger.warn(
      { trigger: this.name, eventId: event.id, position: event.position, attempts: outcome.attempts },
      `trigger: event dead-lettered after ${outcome.attempts} attempts: ${outcome.lastError}`,
    );
  }

  /** Sends until a 2xx or maxAttempts; throws only when the lease is lost. */
  private async deliver(spec: TriggerSpec, event: Event, cursor: number | null, startAt = 0): Promise<Outcome> {
    const { sender, metrics, store, backoff } = this.deps;
    let lastError = '';
    for (let attempt = startAt + 1; attempt <= startAt + spec.maxAttempts; attempt++) {
      if (!this.lease.held) throw new Error('trigger lease lost');
      const outcome = await sender.send(spec, event, this.lease.signal);
      if (outcome.ok) {
        metrics.count('triggerDeliveries', { trigger: this.name, outcome: 'delivered' });
        return { delivered: true };
      }
      if (!this.lease.held) throw new Error('trigger lease lost');
      metrics.count('triggerDeliveries', { trigger: this.name, outcome: 'failed' });
      lastError = outcome.error;
      if (cursor !== null) {
        // Visible on every instance: the oldest pending event's failures (the cursor does not move).
        await store
          .saveProgress(this.name, this.epoch, { position: cursor, lastError, attempts: attempt })
          .catch(() => undefined);
      }
      if (attempt < startAt + spec.maxAttempts) {
        await sleep(retryDelayMs(attempt - startAt, outcome.retryAfterMs, backoff), this.lease.signal);
      }
    }
    return { delivered: false, attempts: startAt + spec.maxAttempts, lastError };
  }

  /** Sends the dead letters replayTrigger marked, each with maxAttempts more, and settles each. */
  private async replayDeadLetters(spec: TriggerSpec): Promise<void> {
    const { store } = this.deps;
    const letters = await store.listDeadLetters(this.name, { limit: 100, replayOnly: true });
    for (const letter of letters) {
      if (!this.lease.held) return;
      const outcome = await this.replayOne(spec, letter);
      const settled = await store.settleReplay(
        this.name,
        this.epoch,
        letter.eventId,
        outcome.delivered ? outcome : { ...outcome, time: Date.now() },
      );
      if (!settled) throw new Error('trigger taken over by another instance');
    }
  }

  private async replayOne(spec: TriggerSpec, letter: DeadLetter): Promise<Outcome> {
    const event = await this.deps.log.getEvent({
      domain: letter.domain,
      type: letter.type,
      key: letter.key,
      id: letter.eventId,
    });
    if (event === null) return { delivered: false, attempts: letter.attempts, lastError: 'event not found in the log' };
    return this.deliver(spec, event, null, letter.attempts);
  }
}
