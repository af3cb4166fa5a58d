import type { Unsubscribe } from '../../core/ports/bus.js';

type Handler = (payload: string) => void;
/** An object per subscription (not the bare handler), so the same function may subscribe twice. */
/** `receiving` turns on once the remote side is known to send this subscriber only newer messages. */
type Subscription = { handler: Handler; active: boolean; receiving: boolean };

/** How a networked bus listens on one topic: called for the first local subscriber and after the last. */
export interface RemoteTopics {
  listen(topic: string): Promise<void>;
  unlisten(topic: string): Promise<void>;
  /**
   * A round trip on the connection that receives messages (PING). Messages arrive in order with its
   * reply, so everything received before it resolves was published before it was sent: a subscriber
   * that joins a topic already listened to must not get those, as it did not exist when they were sent.
   */
  barrier(): Promise<void>;
}

/**
 * Local fan-out for a networked bus: one remote subscription per topic however many local handlers,
 * so a message crosses the network once per instance. Delivery snapshots nothing: a handler unsubscribed
 * before its message arrives is skipped, which is what the contract promises the unsubscriber.
 */
export class TopicFanout {
  private readonly topics = new Map<string, Set<Subscription>>();
  /**
   * The last remote (un)listen per topic. Each one waits for the previous, so a subscribe racing an
   * unsubscribe of the same topic can never end with the remote side unlistened while handlers remain.
   */
  private readonly pending = new Map<string, Promise<void>>();
  /** Topics the remote side listens on; changed only inside `chain`, one step per topic at a time. */
  private readonly listening = new Set<string>();
  private closed = false;

  constructor(
    private readonly remote: RemoteTopics,
    private readonly onHandlerError: (err: unknown, topic: string) => void,
  ) {}

  /** Topics with at least one local subscriber. */
  get topicCount(): number {
    return this.topics.size;
  }

  async subscribe(topic: string, handler: Handler): Promise<Unsubscribe> {
    const sub: Subscription = { handler, active: true, receiving: false };
    let subs = this.topics.get(topic);
    if (!subs) {
      subs = new Set();
      this.topics.set(topic, subs);
    }
    subs.add(sub);
    // Every subscriber awaits a step queued after it joined, so the remote side is listening when
    // subscribe resolves (a step queued by an earlier subscriber may still be in flight).
    try {
      await this.chain(topic, async () => {
        if (!this.topics.get(topic)?.has(sub)) return; // unsubscribed already
        if (this.listening.has(topic)) {
          await this.remote.barrier();
        } else {
          await this.remote.listen(topic);
          this.listening.add(topic);
        }
      });
      sub.receiving = true;
    } catch (err) {
      this.drop(topic, sub);
      throw err;
    }
    return async () => {
      if (!sub.active) return;
      this.drop(topic, sub);
      if (this.closed || this.topics.has(topic)) return;
      await this.chain(topic, async () => {
        if (this.topics.has(topic) || !this.listening.has(topic)) return; // resubscribed meanwhile
        this.listening.delete(topic);
        await this.remote.unlisten(topic);
      });
    };
  }

  /** Calls every live handler of `topic`; one that throws (or rejects) never stops the others. */
  deliver(topic: string, payload: string): void {
    const subs = this.topics.get(topic);
    if (!subs || this.closed) return;
    for (const sub of [...subs]) {
      if (!sub.active || !sub.receiving) continue;
      try {
        // Handlers are typed void, but an async one would otherwise leak an unhandled rejection.
        const result: unknown = sub.handler(payload);
        if (result instanceof Promise) result.catch((err: unknown) => this.onHandlerError(err, topic));
      } catch (err) {
        this.onHandlerError(err, topic);
      }
    }
  }

  /** Silences every handler at once; the caller closes the connection, which ends remote listening. */
  close(): void {
    this.closed = true;
    for (const subs of this.topics.values()) for (const sub of subs) sub.active = false;
    this.topics.clear();
    this.pending.clear();
    this.listening.clear();
  }

  private drop(topic: string, sub: Subscription): void {
    sub.active = false;
    const subs = this.topics.get(topic);
    if (!subs) return;
    subs.delete(sub);
    if (subs.size === 0) this.topics.delete(topic); // bounded by live topics
  }

  private chain(topic: string, step: () => Promise<void>): Promise<void> {
    const previous = this.pending.get(topic) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(step);
    this.pending.set(topic, next);
    // Forget a settled chain so the map stays bounded by topics with work in flight.
    const forget = () => {
      if (this.pending.get(topic) === next) this.pending.delete(topic);
    };
    next.then(forget, forget);
    return next;
  }
}
