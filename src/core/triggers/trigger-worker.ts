import type { Event } from '../model.js';
import type { Logger } from '../ports/logger.js';
import type { Metrics } from '../ports/metrics.js';
import type { StorageProvider } from '../ports/storage.js';
import type { TriggerStore } from '../ports/trigger-store.js';
import { type BackoffOptions, retryDelayMs } from './backoff.js';
import { DeliveryWindow } from './delivery-window.js';
import type { TriggerLease } from './lease.js';
import { triggerMatcher } from './matcher.js';
import type { DeadLetter, TriggerSpec } from './model.js';
import type { WebhookSender } from './ports.js';
import { sleep } from './sleep.js';

export interface WorkerDeps {
  store: TriggerStore;
  log: Pick<StorageProvider, 'readLog' | 'headPosition' | 'getEvent'>;
  sender: WebhookSender;
  logger: Logger;
  metrics: Metrics;
  /** Entities delivered in parallel. */
  concurrency: number;
  /** Log events read at a time; also how far reading runs ahead of the oldest unfinished event, times 4. */
  batchSize: number;
  /** Wait between reads of the log while there is nothing new, ms. */
  pollMs: number;
  backoff: BackoffOptions;
  /** The gauges of this trigger (lag, position, dead letters), reported by the engine. */
  report(name: string, readings: { position: number; lag: number; deadLetters: number; attempts: number }): void;
}

type Outcome = { delivered: true } | { delivered: false; attempts: number; lastError: string };

/** The longest a finished event waits before the cursor is saved past it, ms. */
const SAVE_EVERY_MS = 200;
/** How often the trigger is read again (deleted? spec changed? taken over?) and the gauges reported, ms. */
const REFRESH_EVERY_MS = 1000;

/** Thrown inside a lane when this worker may no longer deliver (lease lost, fenced off). */
class Stopped extends Error {}

/**
 * Delivers one trigger while this instance holds its lease. It reads the log after the durable cursor and
 * queues each matching event behind the earlier events of its entity; up to `concurrency` entities are
 * delivered at once, each one's events in version order, every failure retried with backoff until
 * maxAttempts, then dead-lettered. The cursor moves, fenced by the epoch this worker claimed, only up to
 * just below the oldest event not yet acknowledged or dead-lettered, so a crash re-sends at most what was
 * in flight or finished since the last save (at least once; duplicates only after a failure). An entity
 * that keeps failing holds back the cursor, not the other entities (up to the read-ahead window).
 */
export class TriggerWorker {
  private epoch = 0;
  private spec: TriggerSpec | null = null;
  private readonly queues = new Map<string, Event[]>();
  private readonly active = new Set<string>();
  /** Failing events (oldest pending first by position) for the status the API and metrics show. */
  private readonly failing = new Map<number, { error: string; attempts: number }>();
  private window = new DeliveryWindow(0);
  private saved = 0;
  private savedAt = 0;
  private refreshedAt = 0;
  private stopped = false;
  private changed: (() => void) | null = null;
  private readonly lanes = new Set<Promise<void>>();
  private replaying: Promise<void> | null = null;

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
    try {
      while (this.lease.held && !this.stopped) {
        try {
          await this.step();
        } catch (err) {
          if (err instanceof Stopped || !this.lease.held) break;
          logger.warn({ err, trigger: this.name }, 'trigger: delivery step failed; retrying');
          await sleep(this.deps.pollMs * 5, this.lease.signal);
        }
      }
    } finally {
      this.stopped = true;
      await Promise.allSettled([...this.lanes, this.replaying]);
      // A graceful stop keeps what was finished (the epoch still fences: a later claim refuses this write).
      await this.save(true).catch(() => undefined);
    }
  }

  private async step(): Promise<void> {
    const { store, log } = this.deps;
    const now = Date.now();
    if (this.spec === null || now - this.refreshedAt >= REFRESH_EVERY_MS) {
      const record = await store.get(this.name);
      if (record === null || record.epoch !== this.epoch) throw new Stopped('trigger gone or taken over');
      if (this.spec === null) {
        this.window = new DeliveryWindow(record.position);
        this.saved = record.position;
      }
      this.spec = record.spec;
      this.refreshedAt = now;
      // Replays run beside live delivery (a replayed letter may take maxAttempts of backoff again).
      this.replaying ??= this.replayDeadLetters(record.spec)
        .catch((err: unknown) => {
          if (err instanceof Stopped) this.stopped = true;
          else this.deps.logger.warn({ err, trigger: this.name }, 'trigger: replay failed; retrying');
        })
        .finally(() => {
          this.replaying = null;
        });
      await this.reportGauges();
    }
    const spec = this.spec;
    let read = 0;
    if (this.window.size < this.deps.batchSize * 4) {
      const events = await log.readLog(this.window.lastRead, this.deps.batchSize);
      read = events.length;
      const matches = triggerMatcher(spec);
      for (const event of events) {
        const wanted = matches(event);
        this.window.add(event.position, !wanted);
        if (wanted) this.enqueue(event);
      }
    }
    this.startLanes();
    await this.save(false);
    if (read < this.deps.batchSize) await this.waitForChange(this.deps.pollMs);
  }

  private enqueue(event: Event): void {
    const id = JSON.stringify([event.entity.domain, event.entity.type, event.entity.key]);
    const queue = this.queues.get(id);
    if (queue) queue.push(event);
    else this.queues.set(id, [event]);
  }

  /** Starts a lane for each waiting entity that has none, up to the concurrency. */
  private startLanes(): void {
    for (const [id, queue] of this.queues) {
      if (this.active.size >= this.deps.concurrency) return;
      if (this.active.has(id) || queue.length === 0) continue;
      this.active.add(id);
      const lane = this.drain(queue)
        .catch((err: unknown) => {
          if (!(err instanceof Stopped) && this.lease.held) {
            this.deps.logger.warn({ err, trigger: this.name }, 'trigger: delivery lane failed');
          }
          this.stopped = true;
        })
        .finally(() => {
          this.active.delete(id);
          if (this.queues.get(id)?.length === 0) this.queues.delete(id);
          this.lanes.delete(lane);
          this.changed?.();
        });
      this.lanes.add(lane);
    }
  }

  /** One entity's events, in order, until its queue is empty. */
  private async drain(queue: Event[]): Promise<void> {
    while (queue.length > 0) {
      if (this.stopped || !this.lease.held) throw new Stopped('stopping');
      const event = queue[0]!;
      await this.deliverOrDeadLetter(this.spec!, event);
      queue.shift();
      this.window.finish(event.position);
      this.changed?.();
    }
  }

  private async deliverOrDeadLetter(spec: TriggerSpec, event: Event): Promise<void> {
    const outcome = await this.deliver(spec, event, true);
    this.failing.delete(event.position);
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
    if (!filed) throw new Stopped('trigger taken over by another instance');
    this.deps.metrics.count('triggerDeliveries', { trigger: this.name, outcome: 'dead_lettered' });
    this.deps.logger.warn(
      { trigger: this.name, eventId: event.id, position: event.position, attempts: outcome.attempts },
      `trigger: event dead-lettered after ${outcome.attempts} attempts: ${outcome.lastError}`,
    );
  }

  /** Sends until a 2xx or maxAttempts; throws Stopped when the lease is lost. */
  private async deliver(spec: TriggerSpec, event: Event, live: boolean, startAt = 0): Promise<Outcome> {
    const { sender, metrics, backoff } = this.deps;
    let lastError = '';
    const last = startAt + spec.maxAttempts;
    for (let attempt = startAt + 1; attempt <= last; attempt++) {
      if (!this.lease.held) throw new Stopped('trigger lease lost');
      const outcome = await sender.send(spec, event, this.lease.signal).catch(() => {
        throw new Stopped('trigger lease lost');
      });
      if (outcome.ok) {
        metrics.count('triggerDeliveries', { trigger: this.name, outcome: 'delivered' });
        return { delivered: true };
      }
      metrics.count('triggerDeliveries', { trigger: this.name, outcome: 'failed' });
      lastError = outcome.error;
      if (live) {
        this.failing.set(event.position, { error: lastError, attempts: attempt });
        // Visible on every instance right away: the oldest pending event's failures.
        await this.save(true).catch(() => undefined);
      }
      if (attempt < last)
        await sleep(retryDelayMs(attempt - startAt, outcome.retryAfterMs, backoff), this.lease.signal);
    }
    return { delivered: false, attempts: last, lastError };
  }

  /** Saves the cursor (and the oldest failure) when it moved, at most every SAVE_EVERY_MS unless `now`. */
  private async save(now: boolean): Promise<void> {
    const position = this.window.cursor();
    const oldest = [...this.failing.entries()].sort((a, b) => a[0] - b[0])[0]?.[1];
    if (!now && (position === this.saved || Date.now() - this.savedAt < SAVE_EVERY_MS)) return;
    this.savedAt = Date.now();
    const ok = await this.deps.store.saveProgress(this.name, this.epoch, {
      position,
      lastError: oldest?.error ?? null,
      attempts: oldest?.attempts ?? 0,
    });
    if (!ok) {
      this.stopped = true;
      throw new Stopped('trigger gone or taken over');
    }
    this.saved = Math.max(this.saved, position);
  }

  private async reportGauges(): Promise<void> {
    const head = await this.deps.log.headPosition();
    const oldest = [...this.failing.entries()].sort((a, b) => a[0] - b[0])[0]?.[1];
    this.deps.report(this.name, {
      position: this.saved,
      lag: Math.max(0, head - this.saved),
      deadLetters: await this.deps.store.countDeadLetters(this.name),
      attempts: oldest?.attempts ?? 0,
    });
  }

  /** Sleeps up to `ms`, waking early when a lane finished an event (the cursor may move, a lane is free). */
  private async waitForChange(ms: number): Promise<void> {
    const woken = new AbortController();
    this.changed = () => woken.abort();
    await sleep(ms, AbortSignal.any([woken.signal, this.lease.signal]));
    this.changed = null;
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
      if (!settled) throw new Stopped('trigger taken over by another instance');
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
    return this.deliver(spec, event, false, letter.attempts);
  }
}
