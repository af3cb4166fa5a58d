import { unavailable } from '../errors.js';
import { compileGlob } from '../glob.js';
import type { Limits } from '../limits.js';
import type { Event, StreamEventOpts } from '../model.js';
import type { BusProvider, Unsubscribe } from '../ports/bus.js';
import type { Logger } from '../ports/logger.js';
import type { StorageProvider } from '../ports/storage.js';
import { Fanout, type Subscriber } from './fanout.js';
import { Outbox, shuttingDown } from './outbox.js';

const EVENTS_TOPIC = 'stategate.events';
const READ_BATCH = 500;
const CLAIM_TTL_MS = 10 * 60_000;

interface EventSubscriber extends Subscriber<Event> {
  /** Events at or below this position were already delivered (or skipped) for this subscriber. */
  cursor: number;
  /** False while the subscriber still replays the log by itself. */
  live: boolean;
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

  constructor(
    private readonly storage: StorageProvider,
    private readonly bus: BusProvider,
    private readonly limits: Limits,
    private readonly logger: Logger,
  ) {
    this.fanout = new Fanout((group, id) => this.bus.claim(`events:${group}:${id}`, CLAIM_TTL_MS));
  }

  async start(): Promise<void> {
    this.position = await this.storage.headPosition();
    this.unsubscribe = await this.bus.subscribe(EVENTS_TOPIC, () => this.wake());
    this.timer = setInterval(() => this.wake(), this.limits.logPollMs);
    this.timer.unref();
  }

  /** After a local commit: read the log now, and tell the other instances to. */
  committed(event: Event): void {
    this.wake();
    this.bus.publish(EVENTS_TOPIC, String(event.position)).catch((err) => {
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
    const sub: EventSubscriber = {
      outbox: new Outbox<Event>(this.limits.streamBuffer, () => this.fanout.remove(sub)),
      matches: (e) => matchDomain(e.entity.domain) && matchType(e.entity.type) && matchKey(e.entity.key),
      group: opts.consumerGroup || null,
      cursor: opts.after ?? this.position,
      live: opts.after === undefined,
    };
    if (this.stopped) {
      sub.outbox.fail(shuttingDown());
      return sub.outbox;
    }
    this.fanout.add(sub);
    if (!sub.live) {
      this.replay(sub).catch((err) => {
        this.logger.error({ err }, 'stream replay failed');
        // Mostly storage being unreachable: the client can resume from its last position once it is back.
        sub.outbox.fail(
          this.stopped ? shuttingDown() : unavailable('reading the event log failed: resume from your last position'),
        );
      });
    }
    return sub.outbox;
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.unsubscribe?.();
    for (const sub of [...this.fanout.all()]) sub.outbox.fail(shuttingDown());
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
        sub.live = true;
        return;
      }
    }
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
        // A cursor moves as its subscriber gets the event: when a consumer group's claim fails (bus down)
        // the whole event is read again on the next wake, and must not reach a solo stream twice.
        await this.fanout.dispatch(
          event,
          event.id,
          (sub) => sub.live && position > sub.cursor,
          (sub) => {
            sub.cursor = position;
          },
        );
        this.position = position;
      }
      if (batch.length < READ_BATCH && !this.again) return;
    }
  }
}
