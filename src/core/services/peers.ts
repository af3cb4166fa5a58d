import type { Clock } from '../clock.js';
import type { Limits } from '../limits.js';
import type { JsonObject, Message, PeerMessage, StreamMessageOpts } from '../model.js';
import type { MessageHub } from '../stream/message-hub.js';
import type { Outbox } from '../stream/outbox.js';
import { optionalGlob, requireName, requireObject } from '../validate.js';

/** Peer messaging: ephemeral messages between clients, delivered to live subscribers only. */
export class PeerService {
  constructor(
    private readonly hub: MessageHub,
    private readonly clock: Clock,
    private readonly limits: Limits,
    private readonly newId: () => string,
  ) {}

  validateMessage(message: Message): Message {
    return {
      domain: requireName('domain', message.domain),
      channel: requireName('channel', message.channel),
      type: requireName('type', message.type),
      body: requireObject('body', message.body, { maxDepth: this.limits.jsonDepth }),
    };
  }

  validateStream(opts: StreamMessageOpts) {
    const max = this.limits.globLength;
    const group = opts.consumerGroup ?? '';
    if (group !== '') requireName('consumer_group', group);
    return {
      domain: optionalGlob('domain', opts.domain, max),
      channel: optionalGlob('channel', opts.channel, max),
      type: optionalGlob('type', opts.type, max),
      ...(group !== '' ? { consumerGroup: group } : {}),
    };
  }

  async broadcast(message: Message, claims: JsonObject): Promise<PeerMessage> {
    const peerMessage: PeerMessage = { ...message, id: this.newId(), claims, time: this.clock.nowNs() };
    await this.hub.publish(peerMessage);
    return peerMessage;
  }

  stream(opts: ReturnType<PeerService['validateStream']>): Outbox<PeerMessage> {
    return this.hub.subscribe(opts);
  }
}
