import { compileGlob } from '../glob.js';
import type { Limits } from '../limits.js';
import type { PeerMessage, StreamMessageOpts } from '../model.js';
import type { BusProvider, Unsubscribe } from '../ports/bus.js';
import type { Logger } from '../ports/logger.js';
import { type Metrics, noMetrics } from '../ports/metrics.js';
import { Fanout } from './fanout.js';
import { Outbox, type OutboxObserver, shuttingDown } from './outbox.js';
import { streamObserver } from './stream-metrics.js';

const MESSAGES_TOPIC = 'stategate.messages';
const CLAIM_TTL_MS = 60_000;

/** Peer messages on the wire between instances: `time` travels as a decimal string to stay exact. */
type WireMessage = Omit<PeerMessage, 'time'> & { time: string };

/**
 * Peer messaging: never persisted, at-most-once, live subscribers only. Every message goes over the bus,
 * also on a single instance, so local and remote subscribers are served by the same path.
 */
export class MessageHub {
  private readonly fanout: Fanout<PeerMessage>;
  private unsubscribe: Unsubscribe | null = null;
  private stopped = false;
  private readonly observer: OutboxObserver;

  constructor(
    private readonly bus: BusProvider,
    private readonly limits: Limits,
    private readonly logger: Logger,
    private readonly metrics: Metrics = noMetrics,
  ) {
    this.observer = streamObserver(metrics, 'messages');
    this.fanout = new Fanout((group, id) => this.bus.claim(`messages:${group}:${id}`, CLAIM_TTL_MS));
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.bus.subscribe(MESSAGES_TOPIC, (payload) => this.receive(payload));
  }

  get stats(): { subscribers: number; buffered: number } {
    return { subscribers: this.fanout.size, buffered: this.fanout.buffered };
  }

  async publish(message: PeerMessage): Promise<void> {
    const wire: WireMessage = { ...message, time: message.time.toString() };
    await this.bus.publish(MESSAGES_TOPIC, JSON.stringify(wire));
    this.metrics.count('busPublished', { topic: 'messages' });
  }

  subscribe(opts: Required<Pick<StreamMessageOpts, 'domain' | 'channel' | 'type'>> & StreamMessageOpts) {
    const matchDomain = compileGlob(opts.domain);
    const matchChannel = compileGlob(opts.channel);
    const matchType = compileGlob(opts.type);
    const sub = {
      outbox: new Outbox<PeerMessage>(this.limits.streamBuffer, () => this.fanout.remove(sub), this.observer),
      matches: (m: PeerMessage) => matchDomain(m.domain) && matchChannel(m.channel) && matchType(m.type),
      group: opts.consumerGroup || null,
    };
    if (this.stopped) sub.outbox.fail(shuttingDown());
    else this.fanout.add(sub);
    return sub.outbox;
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.unsubscribe?.();
    for (const sub of [...this.fanout.all()]) sub.outbox.fail(shuttingDown());
  }

  private receive(payload: string): void {
    this.metrics.count('busReceived', { topic: 'messages' });
    let message: PeerMessage;
    try {
      const wire = JSON.parse(payload) as WireMessage;
      message = { ...wire, time: BigInt(wire.time) };
    } catch (err) {
      this.logger.warn({ err }, 'dropped a malformed peer message from the bus');
      return;
    }
    this.fanout.dispatch(message, message.id).catch((err) => {
      this.logger.warn({ err, id: message.id }, 'peer message not delivered to its consumer groups');
    });
  }
}
