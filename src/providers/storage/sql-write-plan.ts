import { StategateError } from '../../core/errors.js';
import type { EntityHead, WriteIntent } from '../../core/ports/storage.js';
import { planWrite } from '../../core/write-plan.js';

/** A planned write with the JSON text the SQL providers store for it. */
export interface SqlWritePlan {
  plan: ReturnType<typeof planWrite>;
  /** The entity's new values; null once deleted. */
  headJson: string | null;
  claimsJson: string;
  /** The values the event records. */
  valuesJson: string;
}

/**
 * Plans `intent` on top of the entity's head and serialises what the SQL providers store. Throws a
 * StategateError only, which refuses this intent alone: `next` and what it returns are the caller's, so
 * anything else thrown is a bug upstream (INTERNAL). `readHead` (the stored head row, decoded) is called
 * inside for the same reason: a row that cannot be decoded refuses the intent rather than the batch.
 */
export function planSqlWrite(intent: WriteIntent, readHead: () => EntityHead | null): SqlWritePlan {
  try {
    const plan = planWrite(intent, readHead());
    const headJson = plan.head.values === null ? null : JSON.stringify(plan.head.values);
    const claimsJson = JSON.stringify(plan.event.claims);
    // Set/Edit/Revert record the new head state in the event: serialise it once.
    const valuesJson =
      plan.event.entity.values === plan.head.values && headJson !== null
        ? headJson
        : JSON.stringify(plan.event.entity.values);
    return { plan, headJson, claimsJson, valuesJson };
  } catch (err) {
    throw StategateError.from(err);
  }
}
