import type { MutexLease } from '../core/model.js';
import { lockMutex, unlockMutex } from '../resolvers/mutex.js';
import { builder } from './builder.js';

export const MutexLeaseType = builder.objectRef<MutexLease>('MutexLease').implement({
  description: 'A granted lock.',
  fields: (t) => ({
    domain: t.exposeString('domain'),
    key: t.exposeString('key'),
    exp: t.expose('exp', { type: 'DateTime', description: 'When the lock expires unless unlocked before.' }),
    token: t.exposeString('token', { description: 'Proves ownership: pass it to unlockMutex.' }),
    fencing: t.expose('fencing', {
      type: 'Int64',
      description: 'Rises with every grant of this key: pass it to the resource you guard to reject stale holders.',
    }),
  }),
});

export const MutexInput = builder.inputType('MutexInput', {
  fields: (t) => ({
    domain: t.string({ required: true }),
    key: t.string({ required: true }),
    exp: t.field({ type: 'DateTime', description: 'When the lock expires; absent = the server default.' }),
  }),
});

export const MutexRefInput = builder.inputType('MutexRefInput', {
  fields: (t) => ({
    domain: t.string({ required: true }),
    key: t.string({ required: true }),
    token: t.string({ description: 'When given, only the lease with this token is unlocked.' }),
  }),
});

builder.mutationFields((t) => ({
  lockMutex: t.field({
    type: MutexLeaseType,
    description: 'Locks a key for a while; ALREADY_EXISTS while someone else holds it.',
    args: { input: t.arg({ type: MutexInput, required: true }) },
    resolve: (_root, args, ctx) => lockMutex(args, ctx),
  }),
  unlockMutex: t.boolean({
    description: 'Unlocks a key so that it may be locked again.',
    args: { input: t.arg({ type: MutexRefInput, required: true }) },
    resolve: (_root, args, ctx) => unlockMutex(args, ctx),
  }),
}));
