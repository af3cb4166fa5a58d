import type { DeadLetter, TriggerRecord } from '../../core/triggers/model.js';
import { specFromJson } from '../../core/triggers/stored-spec.js';

/**
 * A trigger's row and a dead letter's row as the SQL providers (sqlite, postgres, mysql) select them: the
 * same columns everywhere; each driver hands the values in its own types (bigint, string, number, boolean).
 */
export interface SqlTriggerRow {
  spec: unknown;
  position: unknown;
  epoch: unknown;
  last_error: unknown;
  attempts: unknown;
  created_at: unknown;
}

export interface SqlLetterRow {
  event_id: unknown;
  position: unknown;
  domain: unknown;
  type: unknown;
  key: unknown;
  attempts: unknown;
  last_error: unknown;
  time: unknown;
  /** A boolean, or 0/1 as an integer or bigint. */
  replay: unknown;
}

export function triggerFromRow(row: SqlTriggerRow): TriggerRecord {
  return {
    spec: specFromJson(String(row.spec)),
    position: Number(row.position),
    epoch: Number(row.epoch),
    lastError: row.last_error === null ? null : String(row.last_error),
    attempts: Number(row.attempts),
    createdAt: Number(row.created_at),
  };
}

export function letterFromRow(row: SqlLetterRow): DeadLetter {
  return {
    eventId: String(row.event_id),
    position: Number(row.position),
    domain: String(row.domain),
    type: String(row.type),
    key: String(row.key),
    attempts: Number(row.attempts),
    lastError: String(row.last_error),
    time: Number(row.time),
    replay: Number(row.replay) === 1,
  };
}
