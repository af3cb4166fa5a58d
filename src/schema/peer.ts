import type { PeerMessage } from '../core/model.js';
import { broadcastMessage, streamMessages } from '../resolvers/peer.js';
import { unwrapStreamItem } from '../resolvers/stream.js';
import { builder } from './builder.js';

export const PeerMessageType = builder.objectRef<PeerMessage>('PeerMessage').implement({
  description: 'A message between peers: delivered to live subscribers only, never persisted.',
  fields: (t) => ({
    id: t.exposeString('id'),
    domain: t.exposeString('domain'),
    channel: t.exposeString('channel'),
    type: t.exposeString('type'),
    body: t.expose('body', { type: 'JSON' }),
    claims: t.expose('claims', { type: 'JSON', description: 'The JWT claims of the sender.' }),
    time: t.expose('time', { type: 'Int64', description: 'When it was sent, in nanoseconds since the epoch.' }),
  }),
});

export const MessageInput = builder.inputType('MessageInput', {
  fields: (t) => ({
    domain: t.string({ required: true }),
    channel: t.string({ required: true }),
    type: t.string({ required: true }),
    body: t.field({ type: 'JSON', required: true, description: 'The message body: a JSON object.' }),
  }),
});

export const StreamMessageOpts = builder.inputType('StreamMessageOpts', {
  description: 'Which messages to stream. domain, channel and type are globs (`*` any run, `?` one character).',
  fields: (t) => ({
    domain: t.string(),
    channel: t.string(),
    type: t.string(),
    consumer_group: t.string({ description: 'Each message goes to exactly one subscriber of the group.' }),
  }),
});

builder.mutationFields((t) => ({
  broadcastMessage: t.boolean({
    description: 'Sends a message to every live subscriber whose filter matches (at most once).',
    args: { input: t.arg({ type: MessageInput, required: true }) },
    resolve: (_root, args, ctx) => broadcastMessage(args, ctx),
  }),
}));

builder.subscriptionFields((t) => ({
  streamMessages: t.field({
    type: PeerMessageType,
    description: 'Streams peer messages as they are broadcast.',
    args: { input: t.arg({ type: StreamMessageOpts, required: true }) },
    subscribe: (_root, args, ctx) => streamMessages(args, ctx),
    resolve: (item) => unwrapStreamItem(item),
  }),
}));
