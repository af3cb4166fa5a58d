import type Database from 'better-sqlite3';
import { alreadyExists, StategateError } from '../../../core/errors.js';
import type { Event } from '../../../core/model.js';
import type { WriteIntent } from '../../../core/ports/storage.js';
import type { BatchOutcome } from '../batch-queue.js';
import { planSqlWrite } from '../sql-write-plan.js';
import { type HeadRow, keyParams, toHead } from './rows.js';

/**
 * Applies a batch of write intents in ONE IMMEDIATE transaction, each inside its own SAVEPOINT
 * (better-sqlite3 turns a nested transaction function into a savepoint). An intent that is refused, because
 * `planWrite`/`next` threw or its event id already exists, rolls back only its savepoint: its head and event
 * are never written and the others still commit. Any other failure (disk full, I/O error, busy) aborts the
 * whole batch by throwing; the caller then acknowledges none of it.
 *
 * Each intent: read the head row, plan the write (core/write-plan.ts: precondition, next version, time),
 * upsert the head, append the event. Its position is the inserted rowid; with a single writing connection
 * positions rise in commit order (G4).
 */
export function createBatchWriter(db: Database.Database): (intents: readonly WriteIntent[]) => BatchOutcome<Event>[] {
  const readHead = db.prepare<[string, string, string], HeadRow>(
    'SELECT version, "values", time FROM entities WHERE domain = ? AND type = ? AND key = ?',
  );
  const upsertHead = db.prepare(
    `INSERT INTO entities (domain, type, key, version, "values", time) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (domain, type, key) DO UPDATE
       SET version = excluded.version, "values" = excluded."values", time = excluded.time`,
  );
  const insertEvent = db.prepare(
    `INSERT INTO events (id, domain, type, key, version, method, claims, "values", time)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );

  const applyOne = db.transaction((intent: WriteIntent): Event => {
    const row = readHead.get(...keyParams(intent.target));
    const { domain, type, key } = intent.target;
    // Refuses this intent only (its savepoint rolls back) when the precondition or `next` fails.
    const { plan, headJson, claimsJson, valuesJson } = planSqlWrite(intent, () => (row ? toHead(row) : null));
    const { head, event } = plan;
    upsertHead.run(domain, type, key, head.version, headJson, head.time);
    let position: number;
    try {
      const info = insertEvent.run(
        event.id,
        domain,
        type,
        key,
        event.entity.version,
        event.method,
        claimsJson,
        valuesJson,
        event.time,
      );
      position = Number(info.lastInsertRowid);
    } catch (err) {
      if (isDuplicateEventId(err)) throw alreadyExists(`event id ${event.id} already exists`);
      throw err;
    }
    // Answer with what was stored, not the caller's objects: the acknowledged event (which core broadcasts)
    // is then identical to what any later read of the log returns, and no caller can mutate it afterwards.
    return {
      id: event.id,
      entity: { domain, type, key, values: JSON.parse(valuesJson), version: event.entity.version },
      claims: JSON.parse(claimsJson),
      time: event.time,
      method: event.method,
      position,
    };
  });

  const applyBatch = db.transaction((intents: readonly WriteIntent[]): BatchOutcome<Event>[] =>
    intents.map((intent) => {
      try {
        return { ok: true, value: applyOne(intent) };
      } catch (err) {
        if (err instanceof StategateError) return { ok: false, error: err };
        throw err;
      }
    }),
  );

  return (intents) => applyBatch.immediate(intents);
}

function isDuplicateEventId(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' && typeof e.message === 'string' && e.message.includes('events.id');
}
