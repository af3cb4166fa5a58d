import type cassandra from 'cassandra-driver';
import { StategateError, unavailable } from '../../../core/errors.js';
import type { TriggerStore } from '../../../core/ports/trigger-store.js';
import type { DeadLetter, TriggerRecord, TriggerSpec } from '../../../core/triggers/model.js';
import { specFromJson } from '../../../core/triggers/stored-spec.js';
import { compareCodePoints } from '../mongo/evaluate-filter.js';

/*
 * Triggers in the keyspace's `triggers` table (migration 2): one partition per trigger name, the trigger's
 * fields as static columns and its dead letters as clustering rows (by position, then event id). Every
 * fenced write is a lightweight transaction on that one partition, conditioned on `epoch` (and `live`), and
 * a dead letter is written in the same conditional batch as that check, so a holder fenced out can never
 * move the cursor or file a letter. A deleted trigger keeps its partition with `live = false` and its epoch,
 * so epochs of a trigger re-created under the same name still rise above every earlier one.
 */

const LETTER_COLUMNS = 'position, event_id, domain, etype, ekey, letter_attempts, letter_error, letter_time, replay';

export function createCassandraTriggerStore(
  client: cassandra.Client,
  keyspace: string,
  lwt: cassandra.QueryOptions,
  isClosed: () => boolean,
): TriggerStore {
  const t = `${keyspace}.triggers`;
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    if (isClosed()) throw unavailable('storage is closed');
    try {
      return await work();
    } catch (err) {
      if (err instanceof StategateError) throw err;
      throw unavailable(`trigger storage failed: ${(err as Error).message}`, err);
    }
  };
  const read = (query: string, params: unknown[]) =>
    client.execute(query, params, { prepare: true, isIdempotent: true });
  const applied = async (query: string, params: unknown[]) => (await client.execute(query, params, lwt)).wasApplied();
  const state = async (name: string) =>
    (
      await read(
        `SELECT spec, cursor, epoch, last_error, attempts, created_at, live FROM ${t} WHERE name = ? LIMIT 1`,
        [name],
      )
    ).first();
  const letters = async (name: string): Promise<DeadLetter[]> =>
    (await read(`SELECT ${LETTER_COLUMNS} FROM ${t} WHERE name = ?`, [name])).rows
      .filter((row) => row.event_id !== null && row.event_id !== undefined)
      .map(toLetter);
  /** A conditional batch: the epoch check (a no-op write of the same epoch) with `writes`. */
  const fenced = async (name: string, epoch: number, writes: { query: string; params: unknown[] }[]) =>
    (
      await client.batch(
        [
          {
            query: `UPDATE ${t} SET epoch = ? WHERE name = ? IF epoch = ? AND live = true`,
            params: [big(epoch), name, big(epoch)],
          },
          ...writes,
        ],
        { ...lwt, logged: false },
      )
    ).wasApplied();

  return {
    // The table is created by the storage's migrations (migrations.ts, version 2).
    open: () => run(async () => undefined),
    create: (spec, position, createdAt) =>
      run(async () => {
        const values = [JSON.stringify(spec), big(position), big(createdAt), spec.name];
        if (
          await applied(
            `INSERT INTO ${t} (spec, cursor, created_at, name, epoch, last_error, attempts, live) VALUES (?, ?, ?, ?, 0, null, 0, true) IF NOT EXISTS`,
            values,
          )
        )
          return true;
        // A trigger deleted earlier under this name: revive it fresh (its epoch goes on rising).
        return applied(
          `UPDATE ${t} SET spec = ?, cursor = ?, created_at = ?, last_error = null, attempts = 0, live = true WHERE name = ? IF live = false`,
          values,
        );
      }),
    update: (spec) =>
      run(() => applied(`UPDATE ${t} SET spec = ? WHERE name = ? IF live = true`, [JSON.stringify(spec), spec.name])),
    get: (name) =>
      run(async () => {
        const row = await state(name);
        return row?.live ? toRecord(row) : null;
      }),
    list: () =>
      run(async () => {
        const rows = (
          await read(`SELECT DISTINCT name, spec, cursor, epoch, last_error, attempts, created_at, live FROM ${t}`, [])
        ).rows;
        return rows
          .filter((row) => row.live)
          .map(toRecord)
          .sort((a, b) => compareCodePoints(a.spec.name, b.spec.name));
      }),
    delete: (name) =>
      run(async () => {
        if (!(await applied(`UPDATE ${t} SET live = false WHERE name = ? IF live = true`, [name]))) return false;
        await client.execute(
          `DELETE FROM ${t} WHERE name = ? AND position >= ?`,
          [name, big(Number.MIN_SAFE_INTEGER)],
          {
            prepare: true,
            consistency: lwt.consistency,
          },
        );
        return true;
      }),
    claim: (name) =>
      run(async () => {
        for (let tries = 0; tries < 100; tries++) {
          const row = await state(name);
          if (!row?.live) return null;
          const epoch = Number(row.epoch);
          if (
            await applied(`UPDATE ${t} SET epoch = ? WHERE name = ? IF epoch = ? AND live = true`, [
              big(epoch + 1),
              name,
              big(epoch),
            ])
          )
            return epoch + 1;
          await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
        }
        throw unavailable(`trigger ${name}: could not claim an epoch`);
      }),
    saveProgress: (name, epoch, progress) =>
      run(async () => {
        for (let tries = 0; tries < 100; tries++) {
          const row = await state(name);
          if (!row?.live || Number(row.epoch) !== epoch) return false;
          const cursor = Number(row.cursor);
          // The cursor never goes back: a lower position keeps it where it is.
          if (
            await applied(
              `UPDATE ${t} SET cursor = ?, last_error = ?, attempts = ? WHERE name = ? IF epoch = ? AND live = true AND cursor = ?`,
              [
                big(Math.max(cursor, progress.position)),
                progress.lastError,
                progress.attempts,
                name,
                big(epoch),
                big(cursor),
              ],
            )
          )
            return true;
        }
        throw unavailable(`trigger ${name}: could not save its progress`);
      }),
    addDeadLetter: (name, epoch, l) =>
      run(async () => {
        // An event's letter replaces an earlier one of the same event, wherever it was filed.
        // (Not the row being written: a delete and a write of one row in one batch, the delete would win.)
        const earlier = (await letters(name)).filter(
          (letter) => letter.eventId === l.eventId && letter.position !== l.position,
        );
        return fenced(name, epoch, [
          ...earlier.map((letter) => ({
            query: `DELETE FROM ${t} WHERE name = ? AND position = ? AND event_id = ?`,
            params: [name, big(letter.position), letter.eventId],
          })),
          {
            query: `INSERT INTO ${t} (name, ${LETTER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, false)`,
            params: [
              name,
              big(l.position),
              l.eventId,
              l.domain,
              l.type,
              l.key,
              l.attempts,
              l.lastError,
              big(l.time ?? Date.now()),
            ],
          },
        ]);
      }),
    listDeadLetters: (name, { limit, replayOnly }) =>
      run(async () => {
        const all = await letters(name);
        return (replayOnly ? all.filter((letter) => letter.replay) : all).slice(0, Math.max(0, limit));
      }),
    countDeadLetters: (name) => run(async () => (await letters(name)).length),
    markReplay: (name, eventIds) =>
      run(async () => {
        const wanted = eventIds === null ? null : new Set(eventIds);
        const marked = (await letters(name)).filter((l) => !l.replay && (wanted === null || wanted.has(l.eventId)));
        if (marked.length === 0) return 0;
        await client.batch(
          marked.map((l) => ({
            query: `UPDATE ${t} SET replay = true WHERE name = ? AND position = ? AND event_id = ?`,
            params: [name, big(l.position), l.eventId],
          })),
          { prepare: true, consistency: lwt.consistency, logged: false },
        );
        return marked.length;
      }),
    settleReplay: (name, epoch, eventId, outcome) =>
      run(async () => {
        const found = (await letters(name)).filter((l) => l.eventId === eventId);
        return fenced(
          name,
          epoch,
          found.map((l) =>
            outcome.delivered
              ? {
                  query: `DELETE FROM ${t} WHERE name = ? AND position = ? AND event_id = ?`,
                  params: [name, big(l.position), l.eventId],
                }
              : {
                  query: `UPDATE ${t} SET letter_attempts = ?, letter_error = ?, letter_time = ?, replay = false WHERE name = ? AND position = ? AND event_id = ?`,
                  params: [outcome.attempts, outcome.lastError, big(outcome.time), name, big(l.position), l.eventId],
                },
          ),
        );
      }),
  };
}

/** bigint columns take BigInt values (the driver runs with useBigIntAsLong). */
function big(value: number): bigint {
  return BigInt(Math.trunc(value));
}

function toRecord(row: cassandra.types.Row): TriggerRecord {
  return {
    spec: specFromJson(row.spec as string) as TriggerSpec,
    position: Number(row.cursor),
    epoch: Number(row.epoch),
    lastError: (row.last_error as string | null) ?? null,
    attempts: Number(row.attempts),
    createdAt: Number(row.created_at),
  };
}

function toLetter(row: cassandra.types.Row): DeadLetter {
  return {
    eventId: row.event_id as string,
    position: Number(row.position),
    domain: row.domain as string,
    type: row.etype as string,
    key: row.ekey as string,
    attempts: Number(row.letter_attempts),
    lastError: row.letter_error as string,
    time: Number(row.letter_time),
    replay: row.replay === true,
  };
}
