import { randomUUID } from 'node:crypto';
import { unavailable } from '../errors.js';
import { compileGlob } from '../glob.js';
import type { Limits } from '../limits.js';
import type { Event, StreamEventOpts } from '../model.js';
import type { BusProvider, Unsubscribe } from '../ports/bus.js';
import type { Logger } from '../ports/logger.js';
import { type Metrics, noMetrics } from '../ports/metrics.js';
import type { StorageProvider } from '../ports/storage.js';
import { noTracer, type Tracer } from '../ports/tracer.js';
import { Fanout, type Subscriber } from './fanout.js';
import { Outbox, type OutboxObserver, shuttingDown } from './outbox.js';
import { streamObserver } from './stream-metrics.js';

const EVENTS_TOPIC = 'stategate.events';
const READ_BATCH = 500;
const CLAIM_TTL_MS = 10 * 60_000;

interface EventSubscriber extends Subscriber<Event> {
  /** Events at or below this position were already delivered (or skipped) for this subscriber. */
  cursor: number;
  /** False while the subscriber still replays the log by itself, or lags (below). */
  live: boolean;
  /**
   * A member of a consumer group whose claim failed (the bus is down or did not answer): the group then
   * reads the log by itself from the event whose claim failed (catchUp) and rejoins the tailer once caught
   * up, so solo streams never wait for the bus. While a group lags, all its members do, new ones included.
   */
  lagging?: boolean;
  /** The position of the last event the reader took (its start before the first), to say where to resume. */
  taken: number;
}

/**
 * Drives every event stream of this instance from the log, never from the bus: one tailer reads events
 * in position order after each local commit, on a bus hint that another instance committed, and on a
 * timer in case a hint was lost. So a stream sees every committed event, in order, once (G4, G5), and a
 * resumed stream hands over from replay to live without gap or duplicate (G6).
 */
export class EventHub {
  private readonly fanout: Fanout<Event, EventSubscriber>;
  /** The last position handed to live subscribers. */
  private position = 0;
  private pumping = false;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: Unsubscribe | null = null;
  private stopped = false;
  /**
   * Consumer groups catching up from the log after a failed claim (each has its catchUp running). The
   * tailer never claims for them meanwhile, so this instance claims an item for a group in one place only.
   */
  private readonly laggingGroups = new Set<string>();
  /**
   * This instance's claims are made as this owner, so a claim retried after an error that hid its success
   * is still ours (see BusProvider.claim); the one-place rule above keeps us from acting on it twice.
   */
  private readonly owner = randomUUID();
  private readonly observer: OutboxObserver<Event>;

  constructor(
    private readonly storage: StorageProvider,
    private readonly bus: BusProvider,
    private readonly limits: Limits,
    private readonly logger: Logger,
    private readonly metrics: Metrics = noMetrics,
    private readonly tracer: Tracer = noTracer,
  ) {
    this.observer = streamObserver(metrics, 'events');
    this.fanout = new Fanout((group, id) => this.bus.claim(`events:${group}:${id}`, CLAIM_TTL_MS, this.owner));
  }

  async start(): Promise<void> {
    this.position = await this.storage.headPosition();
    this.unsubscribe = await this.bus.subscribe(EVENTS_TOPIC, () => {
      this.metrics.count('busReceived', { topic: 'events' });
      this.wake();
    });
    this.timer = setInterval(() => this.wake(), this.limits.logPollMs);
    this.timer.unref();
  }

  /** After a local commit: read the log now, and tell the other instances to. */
  committed(event: Event): void {
    this.metrics.count('eventsAppended');
    this.wake();
    // The broadcast stage: local streams are woken above; the span covers the hint to the other instances.
    this.tracer
      .stage('broadcast', { 'stategate.position': event.position }, () =>
        this.bus.publish(EVENTS_TOPIC, String(event.position)),
      )
      .then(() => this.metrics.count('busPublished', { topic: 'events' }))
      .catch((err) => {
        // The hint is only a fast path: other instances still find the event by polling the log.
        this.logger.warn({ err }, 'event hint not published; other instances will find it by polling');
      });
  }

  get stats(): { subscribers: number; buffered: number; position: number } {
    return { subscribers: this.fanout.size, buffered: this.fanout.buffered, position: this.position };
  }

  /** Opens a stream; with `after`, first replays the log past that position, then continues live. */
  subscribe(opts: Required<Pick<StreamEventOpts, 'domain' | 'type' | 'key'>> & StreamEventOpts): Outbox<Event> {
    const matchDomain = compileGlob(opts.domain);
    const matchType = compileGlob(opts.type);
    const matchKey = compileGlob(opts.key);
    const observer: OutboxObserver<Event> = {
      ...this.observer,
      delivered: (event) => {
        sub.taken = event.position;
        this.observer.delivered?.(event);
      },
    };
    const start = opts.after ?? this.position;
    const sub: EventSubscriber = {
      outbox: new Outbox<Event>(this.limits.streamBuffer, () => this.fanout.remove(sub), observer),
      matches: (e) => matchDomain(e.entity.domain) && matchType(e.entity.type) && matchKey(e.entity.key),
      group: opts.consumerGroup || null,
      cursor: start,
      live: opts.after === undefined,
      taken: start,
    };
    if (this.stopped) {
      sub.outbox.fail(shuttingDown(start));
      return sub.outbox;
    }
    if (sub.live && sub.group !== null && this.laggingGroups.has(sub.group)) {
      sub.live = false;
      sub.lagging = true;
    }
    this.fanout.add(sub);
    if (!sub.live && !sub.lagging) {
      this.replay(sub).catch((err) => {
        this.logger.error({ err }, 'stream replay failed');
        // Mostly storage being unreachable: the client can resume from its last position once it is back.
        sub.outbox.fail(
          this.stopped
            ? shuttingDown(this.resumePoint(sub))
            : unavailable('reading the event log failed: resume from your last position'),
        );
      });
    }
    return sub.outbox;
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.unsubscribe?.();
    for (const sub of [...this.fanout.all()]) sub.outbox.fail(shuttingDown(this.resumePoint(sub)));
  }

  /**
   * Where a stream ended now resumes without gap or duplicate. Its buffered events are dropped with it, so
   * with any buffered that is after the last one its reader took. With none, everything up to its cursor
   * was delivered or did not match; a live solo stream was offered every event up to the tailer's position
   * in the same synchronous step that moved it (see pump), so it resumes after that.
   */
  private resumePoint(sub: EventSubscriber): number {
    if (sub.outbox.size > 0) return sub.taken;
    if (sub.live && sub.group === null) return Math.max(this.position, sub.taken);
    return Math.max(sub.cursor, sub.taken);
  }

  /**
   * Reads the log for one resuming subscriber at its own pace, then joins the live stream at the exact
   * point where it caught up with the tailer. The switch happens synchronously after a read, so no event
   * the tailer dispatches can fall between the two; events it already read are skipped by `cursor`.
   */
  private async replay(sub: EventSubscriber): Promise<void> {
    while (sub.outbox.isOpen) {
      const batch = await this.storage.readLog(sub.cursor, READ_BATCH);
      for (const event of batch) {
        if (sub.matches(event) && !(await sub.outbox.put(event))) return;
        sub.cursor = event.position;
      }
      if (batch.length < READ_BATCH && sub.cursor >= this.position) {
        // Join live only with room to spare: a buffer left full by the replay would cut a reader off at the
        // first live event although it kept up. Waiting lets more events commit, so read the log again.
        const roomy = Math.floor(this.limits.streamBuffer / 2);
        if (sub.outbox.size > roomy) {
          await sub.outbox.drainTo(roomy);
          continue;
        }
        if (sub.group !== null && this.laggingGroups.has(sub.group)) sub.lagging = true;
        else sub.live = true;
        return;
      }
    }
  }

  /** A group's claim for the event at `position` failed: the group falls back to catching up from there. */
  private lag(group: string, position: number, err: unknown): void {
    for (const member of this.fanout.members(group)) {
      if (!member.live) continue; // still replaying by itself
      member.live = false;
      member.lagging = true;
      // The tailer handled every event below `position` for its live members.
      member.cursor = position - 1;
    }
    if (this.laggingGroups.has(group) || this.stopped) return;
    this.logger.warn({ err, group }, 'consumer group claim failed; the group catches up from the log');
    this.laggingGroups.add(group);
    this.catchUp(group).catch((e) => {
      this.laggingGroups.delete(group);
      this.logger.error({ err: e, group }, 'consumer group catch-up failed');
      for (const m of this.fanout.members(group)) {
        if (m.lagging) m.outbox.fail(unavailable('consumer group delivery failed: resubscribe'));
      }
    });
  }

  /**
   * Reads the log for one lagging group, from the event whose claim failed, claiming and delivering each
   * event as the tailer would; a failed claim or read is retried after a poll interval. Once it reaches
   * the tailer's position the members turn live again in the same synchronous step as the check.
   */
  private async catchUp(group: string): Promise<void> {
    const lagging = () => this.fanout.members(group).filter((m) => m.lagging && m.outbox.isOpen);
    while (!this.stopped) {
      const members = lagging();
      if (members.length === 0) {
        this.laggingGroups.delete(group);
        return;
      }
      let cursor = Math.min(...members.map((m) => m.cursor));
      let batch: Event[];
      try {
        batch = await this.storage.readLog(cursor, READ_BATCH);
        for (const event of batch) {
          const position = event.position;
          await this.fanout.offerGroup(
            group,
            event,
            event.id,
            (m) => m.lagging === true && position > m.cursor,
            (m) => {
              m.cursor = position;
            },
          );
          for (const m of lagging()) m.cursor = Math.max(m.cursor, position);
          cursor = position;
        }
      } catch (err) {
        this.logger.debug({ err, group }, 'consumer group catch-up: retrying after a poll interval');
        await new Promise((resolve) => setTimeout(resolve, this.limits.logPollMs).unref());
        continue;
      }
      if (batch.length < READ_BATCH && cursor >= this.position) {
        // One synchronous step: from here the tailer serves the group again, and only it.
        for (const m of lagging()) {
          m.lagging = false;
          m.live = true;
        }
        this.laggingGroups.delete(group);
        this.logger.info({ group }, 'consumer group caught up; live again');
        return;
      }
    }
    this.laggingGroups.delete(group);
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    this.pump()
      .catch((err) => this.logger.warn({ err }, 'reading the event log failed; retrying on the next poll'))
      .finally(() => {
        this.pumping = false;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async pump(): Promise<void> {
    for (;;) {
      this.again = false;
      const batch = await this.storage.readLog(this.position, READ_BATCH);
      for (const event of batch) {
        const position = event.position;
        const eligible = (sub: EventSubscriber) => sub.live && position > sub.cursor;
        const delivered = (sub: EventSubscriber) => {
          sub.cursor = position;
        };
        // Solo streams get the event and `position` moves in one synchronous step, so a replay that
        // joins live at `position` (see replay) can neither miss this event nor get it twice.
        this.fanout.offerSolo(event, eligible, delivered);
        this.position = position;
        await this.fanout.offerGroups(event, event.id, eligible, delivered, (group, err) =>
          this.lag(group, position, err),
        );
      }
      if (batch.length < READ_BATCH && !this.again) return;
    }
  }
}
