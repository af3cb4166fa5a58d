import { aborted } from './errors.js';
import type { Entity, Event, JsonObject } from './model.js';
import type { EntityHead, WriteIntent } from './ports/storage.js';

/** What a provider writes for one intent: the entity's new head row and the event to append. */
export interface PlannedWrite {
  head: EntityHead;
  /** The event without its position, which the store assigns at commit. */
  event: Omit<Event, 'position'>;
}

/**
 * Decides one mutation from the entity's stored head. Pure, so every provider applies identical
 * semantics (G10): the version precondition (G3), consecutive versions that continue across deletion (G2),
 * and event times that never go backwards for one entity (so time travel agrees with version order).
 * Throws the StategateError that refuses the mutation.
 */
export function planWrite(intent: WriteIntent, head: EntityHead | null): PlannedWrite {
  const { target } = intent;
  const live: Entity | null = head?.values ? { ...target, values: head.values, version: head.version } : null;

  checkPrecondition(intent.expectedVersion, live);

  const nextValues = intent.next(live);
  const version = (head?.version ?? 0) + 1;
  const time = head && intent.time <= head.time ? head.time + 1n : intent.time;
  // A deletion's event records the state it removed; `next` refuses to delete what is not live.
  const eventValues: JsonObject = nextValues ?? live?.values ?? {};

  return {
    head: { version, values: nextValues, time },
    event: {
      id: intent.eventId,
      entity: { ...target, values: eventValues, version },
      claims: intent.claims,
      time,
      method: intent.method,
    },
  };
}

function checkPrecondition(expected: number, live: Entity | null): void {
  if (expected === 0) return;
  if (expected === -1) {
    if (live) throw aborted(`entity already exists at version ${live.version}`);
    return;
  }
  if (!live) throw aborted(`version precondition ${expected} failed: entity does not exist`);
  if (live.version !== expected) {
    throw aborted(`version precondition ${expected} failed: current version is ${live.version}`);
  }
}
