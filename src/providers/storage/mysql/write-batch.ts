import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { alreadyExists, invalid, StategateError } from '../../../core/errors.js';
import type { Event } from '../../../core/model.js';
import type { WriteIntent } from '../../../core/ports/storage.js';
import type { BatchOutcome } from '../batch-queue.js';
import { planSqlWrite, type SqlWritePlan } from '../sql-write-plan.js';
import { EVENT_COLUMNS, type HeadRow, toHead } from './rows.js';

/** Runs one statement on the batch's connection, bounded by the statement timeout. */
export type Exec = <R extends RowDataPacket[] | ResultSetHeader>(
  sql: string,
  params?: (string | number | null)[],
) => Promise<R>;

/** Binds `exec` to a connection and a statement timeout (mysql2 fails the statement after `timeoutMs`). */
export function execOn(connection: PoolConnection, timeoutMs: number): Exec {
  return async (sql, params = []) => (await connection.execute({ sql, timeout: timeoutMs }, params))[0] as never;
}

/**
 * Applies a batch of intents inside the caller's open transaction and returns one outcome per intent.
 *
 * - The log head row is locked first and held until COMMIT. Positions are drawn under it, so they rise in
 *   commit order across every instance (G4); and since no transaction ever waits for it while holding an
 *   entity's head row, instances cannot deadlock.
 * - Each intent: read its head row (FOR UPDATE), plan (core/write-plan.ts), insert the event, then upsert
 *   the head. An intent can only be refused before it writes (planWrite or `next` threw) or by its first
 *   write, the event insert (a duplicate event id, a name too long), which InnoDB undoes by itself, as it
 *   undoes any failed statement. So a refused intent leaves nothing behind and needs no savepoint, and
 *   the others still commit. Anything else is thrown: the caller rolls the whole batch back.
 * - Intents apply in order, so one sees the effect of those before it (G2, G3 within an instance).
 */
export async function applyBatch(exec: Exec, intents: readonly WriteIntent[]): Promise<BatchOutcome<Event>[]> {
  const [log] = await exec<RowDataPacket[]>('SELECT `position` FROM `log_head` WHERE `id` = 1 FOR UPDATE');
  const start = Number(log?.position ?? Number.NaN);
  if (!Number.isSafeInteger(start)) throw new Error('log_head has no row: the schema is damaged');
  let position = start;
  const outcomes: BatchOutcome<Event>[] = [];
  for (const intent of intents) {
    const outcome = await applyOne(exec, intent, position + 1);
    if (outcome.ok) position = outcome.value.position;
    outcomes.push(outcome);
  }
  if (position > start) await exec('UPDATE `log_head` SET `position` = ? WHERE `id` = 1', [position]);
  return outcomes;
}

async function applyOne(exec: Exec, intent: WriteIntent, position: number): Promise<BatchOutcome<Event>> {
  const { domain, type, key } = intent.target;
  const [row] = await exec<HeadRow[]>(
    'SELECT `version`, `values`, `time` FROM `entities` WHERE `domain` = ? AND `type` = ? AND `key` = ? FOR UPDATE',
    [domain, type, key],
  );

  let planned: SqlWritePlan;
  try {
    planned = planSqlWrite(intent, () => (row ? toHead(row) : null));
  } catch (err) {
    // A refusal (precondition, `next`) of this intent alone: planSqlWrite throws StategateErrors only.
    return { ok: false, error: StategateError.from(err) };
  }

  const { plan, headJson, claimsJson, valuesJson } = planned;
  const { head, event } = plan;
  try {
    await exec(`INSERT INTO \`events\` (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      position,
      event.id,
      domain,
      type,
      key,
      event.entity.version,
      event.method,
      claimsJson,
      valuesJson,
      event.time.toString(),
    ]);
  } catch (err) {
    const refusal = eventRefusal(err);
    if (!refusal) throw err;
    return { ok: false, error: refusal };
  }
  await exec(
    `INSERT INTO \`entities\` (\`domain\`, \`type\`, \`key\`, \`version\`, \`values\`, \`time\`) VALUES (?, ?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE \`version\` = VALUES(\`version\`), \`values\` = VALUES(\`values\`), \`time\` = VALUES(\`time\`)`,
    [domain, type, key, head.version, headJson, head.time.toString()],
  );
  // Answer with what was stored (MariaDB keeps the JSON text verbatim), not the caller's objects: the
  // acknowledged event then equals what any later read returns, and no caller can mutate it afterwards.
  return {
    ok: true,
    value: {
      id: event.id,
      entity: { domain, type, key, values: JSON.parse(valuesJson), version: event.entity.version },
      claims: JSON.parse(claimsJson),
      time: event.time,
      method: event.method,
      position,
    },
  };
}

// MariaDB error numbers (include/mysqld_error.h).
const ER_DUP_ENTRY = 1062;
const ER_DATA_TOO_LONG = 1406;

/** Why the event insert refused this intent alone, or null when the failure is the batch's. */
function eventRefusal(err: unknown): StategateError | null {
  const e = err as { errno?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (e?.errno === ER_DUP_ENTRY && message.includes("'events_id'")) return alreadyExists('event id already exists');
  // Core bounds names to 256 characters, which always fit; refuse rather than report an outage if not.
  if (e?.errno === ER_DATA_TOO_LONG) return invalid(`a name is too long for mysql storage: ${message}`);
  return null;
}
