import {
  createTrigger,
  type DeadLetterNode,
  deleteTrigger,
  getTrigger,
  listTriggers,
  replayTrigger,
  type TriggerNode,
} from '../resolvers/triggers.js';
import { builder } from './builder.js';

const DeadLetterType = builder.objectRef<DeadLetterNode>('DeadLetter').implement({
  description: 'An event a trigger did not get acknowledged within maxAttempts.',
  fields: (t) => ({
    eventId: t.exposeString('eventId'),
    position: t.expose('position', { type: 'Int64' }),
    domain: t.exposeString('domain'),
    type: t.exposeString('type'),
    key: t.exposeString('key'),
    attempts: t.exposeInt('attempts'),
    lastError: t.exposeString('lastError'),
    time: t.expose('time', { type: 'DateTime', description: 'When it was dead-lettered (or last replayed in vain).' }),
    replay: t.exposeBoolean('replay', { description: 'Waiting to be sent again (replayTrigger).' }),
  }),
});

const TriggerStatusType = builder.objectRef<TriggerNode['status']>('TriggerStatus').implement({
  description: "Where a trigger's delivery stands.",
  fields: (t) => ({
    position: t.expose('position', {
      type: 'Int64',
      description: 'Every event at or below this log position was acknowledged or dead-lettered.',
    }),
    lag: t.expose('lag', { type: 'Int64', description: 'Log positions committed after the cursor.' }),
    attempts: t.exposeInt('attempts', { description: 'Failed attempts of the oldest pending event.' }),
    lastError: t.exposeString('lastError', { nullable: true }),
    deadLetterCount: t.expose('deadLetterCount', { type: 'Int64' }),
    deadLetters: t.expose('deadLetters', {
      type: [DeadLetterType],
      description: 'The oldest dead letters (getTrigger only; at most 100).',
    }),
  }),
});

const TriggerType = builder.objectRef<TriggerNode>('Trigger').implement({
  description: 'An event trigger: no secret, header names only.',
  fields: (t) => ({
    name: t.exposeString('name'),
    url: t.exposeString('url'),
    domain: t.exposeString('domain'),
    type: t.exposeString('type'),
    key: t.exposeString('key'),
    headerNames: t.exposeStringList('headerNames'),
    timeoutMs: t.exposeInt('timeoutMs'),
    maxAttempts: t.exposeInt('maxAttempts'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    status: t.expose('status', { type: TriggerStatusType }),
  }),
});

const TriggerInput = builder.inputType('TriggerInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: '1-64 letters, digits, _ . or -.' }),
    url: t.string({ required: true, description: 'Where events are POSTed (http:// or https://).' }),
    domain: t.string({ required: true, description: "A glob on the event's entity domain." }),
    type: t.string({ required: true, description: "A glob on the event's entity type." }),
    key: t.string({ description: "A glob on the event's entity key (default *)." }),
    secret: t.string({ required: true, description: 'whsec_ + base64 of 24-64 random bytes; never answered.' }),
    headers: t.field({ type: 'JSON', description: 'Extra request headers: an object of strings.' }),
    timeoutMs: t.int({ description: 'How long one delivery may take, ms (default 10000).' }),
    maxAttempts: t.int({ description: 'Attempts per event before it is dead-lettered (default 10).' }),
    from: t.string({ description: '"now" (default) or a log position delivery starts after.' }),
  }),
});

const ListTriggersInput = builder.inputType('ListTriggersInput', {
  fields: (t) => ({ prefix: t.string({ description: 'Only triggers whose name starts with this.' }) }),
});

const TriggerRefInput = builder.inputType('TriggerRefInput', {
  fields: (t) => ({ name: t.string({ required: true }) }),
});

const ReplayTriggerInput = builder.inputType('ReplayTriggerInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    eventIds: t.stringList({ description: "The dead letters' event ids; absent or empty = all of them." }),
  }),
});

const ReplayTriggerResultType = builder.objectRef<{ replayed: number }>('ReplayTriggerResult').implement({
  fields: (t) => ({ replayed: t.exposeInt('replayed', { description: 'Dead letters marked for sending again.' }) }),
});

builder.queryFields((t) => ({
  listTriggers: t.field({
    type: [TriggerType],
    description: 'Every trigger by name with its delivery status (method /stategate.TriggerService/List).',
    args: { input: t.arg({ type: ListTriggersInput, required: true }) },
    resolve: (_root, args, ctx) => listTriggers(args, ctx),
  }),
  getTrigger: t.field({
    type: TriggerType,
    description: 'One trigger with its status and dead letters (method /stategate.TriggerService/Get).',
    args: { input: t.arg({ type: TriggerRefInput, required: true }) },
    resolve: (_root, args, ctx) => getTrigger(args, ctx),
  }),
}));

builder.mutationFields((t) => ({
  createTrigger: t.field({
    type: TriggerType,
    description: 'Adds an event trigger (method /stategate.TriggerService/Create).',
    args: { input: t.arg({ type: TriggerInput, required: true }) },
    resolve: (_root, args, ctx) => createTrigger(args, ctx),
  }),
  deleteTrigger: t.field({
    type: TriggerType,
    description: 'Removes a trigger, its cursor and dead letters (method /stategate.TriggerService/Delete).',
    args: { input: t.arg({ type: TriggerRefInput, required: true }) },
    resolve: (_root, args, ctx) => deleteTrigger(args, ctx),
  }),
  replayTrigger: t.field({
    type: ReplayTriggerResultType,
    description: 'Sends dead letters again (method /stategate.TriggerService/Replay).',
    args: { input: t.arg({ type: ReplayTriggerInput, required: true }) },
    resolve: (_root, args, ctx) => replayTrigger(args, ctx),
  }),
}));
