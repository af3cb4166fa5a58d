import type { JsonValue } from '../core/model.js';
import type { DeadLetter, TriggerView } from '../core/triggers/model.js';
import type { GraphqlContext } from './context.js';
import { optional } from './convert.js';

export interface TriggerArgs {
  name: string;
  url: string;
  domain: string;
  type: string;
  key?: string | null;
  secret: string;
  headers?: JsonValue | null;
  timeoutMs?: number | null;
  maxAttempts?: number | null;
  from?: string | null;
}

/** A trigger as GraphQL shows it: times as DateTime. */
export type TriggerNode = Omit<TriggerView, 'createdAt' | 'status'> & {
  createdAt: Date;
  status: Omit<TriggerView['status'], 'deadLetters'> & { deadLetters: DeadLetterNode[] };
};
export type DeadLetterNode = Omit<DeadLetter, 'time'> & { time: Date };

function node(view: TriggerView): TriggerNode {
  return {
    ...view,
    createdAt: new Date(view.createdAt),
    status: { ...view.status, deadLetters: view.status.deadLetters.map((l) => ({ ...l, time: new Date(l.time) })) },
  };
}

export async function createTrigger({ input }: { input: TriggerArgs }, { api, call }: GraphqlContext) {
  return node(
    await api.triggers.create(call, {
      name: input.name,
      url: input.url,
      domain: input.domain,
      type: input.type,
      key: optional(input.key),
      secret: input.secret,
      // core refuses anything but an object of strings.
      headers: (input.headers ?? undefined) as Record<string, string> | undefined,
      timeoutMs: optional(input.timeoutMs),
      maxAttempts: optional(input.maxAttempts),
      from: optional(input.from) as 'now' | undefined,
    }),
  );
}

export async function listTriggers({ input }: { input: { prefix?: string | null } }, { api, call }: GraphqlContext) {
  return (await api.triggers.list(call, { prefix: optional(input.prefix) })).map(node);
}

export async function getTrigger({ input }: { input: { name: string } }, { api, call }: GraphqlContext) {
  return node(await api.triggers.get(call, input.name));
}

export async function deleteTrigger({ input }: { input: { name: string } }, { api, call }: GraphqlContext) {
  return node(await api.triggers.delete(call, input.name));
}

export async function replayTrigger(
  { input }: { input: { name: string; eventIds?: string[] | null } },
  { api, call }: GraphqlContext,
) {
  return api.triggers.replay(call, { name: input.name, eventIds: input.eventIds ?? [] });
}
