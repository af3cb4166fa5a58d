import type { JsonObject, JsonValue, PeerMessage } from '../core/model.js';
import type { GraphqlContext } from './context.js';
import { optional } from './convert.js';
import { endWithFailure, type StreamItem } from './stream.js';

export interface MessageArgs {
  domain: string;
  channel: string;
  type: string;
  body: JsonValue;
}

export interface StreamMessageArgs {
  domain?: string | null;
  channel?: string | null;
  type?: string | null;
  consumer_group?: string | null;
}

/** `broadcastMessage`: the proto answers Empty, so GraphQL answers `true`. */
export async function broadcastMessage(args: { input: MessageArgs }, { api, call }: GraphqlContext): Promise<boolean> {
  const { domain, channel, type, body } = args.input;
  // A JSON object is what core requires; it rejects anything else with INVALID_ARGUMENT.
  await api.peers.broadcast(call, { domain, channel, type, body: body as JsonObject });
  return true;
}

export async function streamMessages(
  args: { input: StreamMessageArgs },
  { api, call }: GraphqlContext,
): Promise<AsyncIterable<StreamItem<PeerMessage>>> {
  const { input } = args;
  const subscription = await api.peers.stream(call, {
    domain: optional(input.domain),
    channel: optional(input.channel),
    type: optional(input.type),
    consumerGroup: optional(input.consumer_group),
  });
  return endWithFailure(subscription);
}
