import type pg from 'pg';
import { StategateError, unavailable } from '../../../core/errors.js';
import type { TriggerStore } from '../../../core/ports/trigger-store.js';
import { specToJson } from '../../../core/triggers/stored-spec.js';
import { letterFromRow, triggerFromRow } from '../sql-trigger-rows.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS stategate_triggers (
  name TEXT PRIMARY KEY,
  spec TEXT NOT NULL,
  position BIGINT NOT NULL,
  epoch BIGINT NOT NULL DEFAULT 0,
  last_error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS stategate_trigger_dead_letters (
  trigger_name TEXT NOT NULL REFERENCES stategate_triggers(name) ON DELETE CASCADE,
  event_id TEXT NOT NULL,
  position BIGINT NOT NULL,
  domain TEXT NOT NULL,
  type TEXT NOT NULL,
  key TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  time BIGINT NOT NULL,
  replay BOOLEAN NOT NULL DEFAULT false,
  PRIMARY KEY (trigger_name, event_id)
);
CREATE INDEX IF NOT EXISTS stategate_trigger_dead_letters_by_position
  ON stategate_trigger_dead_letters (trigger_name, position);
`;
/** Serialises the DDL of instances starting together (concurrent CREATE … IF NOT EXISTS can still collide). */
const DDL_LOCK = 7_412_001;

type TriggerRow = {
  spec: string;
  position: string;
  epoch: string;
  last_error: string | null;
  attempts: number;
  created_at: string;
};
type LetterRow = {
  event_id: string;
  position: string;
  domain: string;
  type: string;
  key: string;
  attempts: number;
  last_error: string;
  time: string;
  replay: boolean;
};

const COLUMNS = 'spec, position, epoch, last_error, attempts, created_at';
const LETTER_COLUMNS = 'event_id, position, domain, type, key, attempts, last_error, time, replay';
/** The claim check of every delivery-state write: `$1` the name, `$2` the epoch. */
const CURRENT = 'EXISTS (SELECT 1 FROM stategate_triggers WHERE name = $1 AND epoch = $2)';

/** Triggers in the postgres database, on the storage's own pool. */
export function createPostgresTriggerStore(pool: pg.Pool, isClosed: () => boolean): TriggerStore {
  const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
    if (isClosed()) throw unavailable('storage is closed');
    try {
      return await pool.query<R>(text, values);
    } catch (err) {
      if (err instanceof StategateError) throw err;
      throw unavailable(`trigger storage failed: ${(err as Error).message}`, err);
    }
  };

  return {
    async open() {
      if (isClosed()) throw unavailable('storage is closed');
      const client = await pool.connect().catch((err: Error) => {
        throw unavailable(`trigger storage failed: ${err.message}`, err);
      });
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [DDL_LOCK]);
        await client.query(SCHEMA);
        await client.query('COMMIT');
        client.release();
      } catch (err) {
        client.release(true);
        throw unavailable(`trigger storage failed: ${(err as Error).message}`, err);
      }
    },
    async create(spec, position, createdAt) {
      const { rowCount } = await query(
        `INSERT INTO stategate_triggers (name, spec, position, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO NOTHING`,
        [spec.name, specToJson(spec), position, createdAt],
      );
      return rowCount === 1;
    },
    async update(spec) {
      const { rowCount } = await query('UPDATE stategate_triggers SET spec = $2 WHERE name = $1', [
        spec.name,
        specToJson(spec),
      ]);
      return rowCount === 1;
    },
    async get(name) {
      const { rows } = await query<TriggerRow>(`SELECT ${COLUMNS} FROM stategate_triggers WHERE name = $1`, [name]);
      return rows[0] ? triggerFromRow(rows[0]) : null;
    },
    async list() {
      const { rows } = await query<TriggerRow>(`SELECT ${COLUMNS} FROM stategate_triggers ORDER BY name COLLATE "C"`);
      return rows.map(triggerFromRow);
    },
    async delete(name) {
      const { rowCount } = await query('DELETE FROM stategate_triggers WHERE name = $1', [name]);
      return rowCount === 1;
    },
    async claim(name) {
      const { rows } = await query<{ epoch: string }>(
        'UPDATE stategate_triggers SET epoch = epoch + 1 WHERE name = $1 RETURNING epoch',
        [name],
      );
      return rows[0] ? Number(rows[0].epoch) : null;
    },
    async saveProgress(name, epoch, p) {
      const { rowCount } = await query(
        `UPDATE stategate_triggers SET position = GREATEST(position, $3), last_error = $4, attempts = $5
         WHERE name = $1 AND epoch = $2`,
        [name, epoch, p.position, p.lastError, p.attempts],
      );
      return rowCount === 1;
    },
    async addDeadLetter(name, epoch, l) {
      const { rowCount } = await query(
        `INSERT INTO stategate_trigger_dead_letters
           (trigger_name, event_id, position, domain, type, key, attempts, last_error, time, replay)
         SELECT $1, $3, $4, $5, $6, $7, $8, $9, $10, false WHERE ${CURRENT}
         ON CONFLICT (trigger_name, event_id) DO UPDATE SET
           attempts = excluded.attempts, last_error = excluded.last_error, time = excluded.time, replay = false`,
        [name, epoch, l.eventId, l.position, l.domain, l.type, l.key, l.attempts, l.lastError, l.time ?? Date.now()],
      );
      return rowCount === 1;
    },
    async listDeadLetters(name, { limit, replayOnly }) {
      const { rows } = await query<LetterRow>(
        `SELECT ${LETTER_COLUMNS} FROM stategate_trigger_dead_letters
         WHERE trigger_name = $1 ${replayOnly ? 'AND replay' : ''} ORDER BY position LIMIT $2`,
        [name, limit],
      );
      return rows.map(letterFromRow);
    },
    async countDeadLetters(name) {
      const { rows } = await query<{ n: string }>(
        'SELECT COUNT(*) AS n FROM stategate_trigger_dead_letters WHERE trigger_name = $1',
        [name],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async markReplay(name, eventIds) {
      const { rowCount } = await query(
        `UPDATE stategate_trigger_dead_letters SET replay = true
         WHERE trigger_name = $1 AND NOT replay ${eventIds === null ? '' : 'AND event_id = ANY($2)'}`,
        eventIds === null ? [name] : [name, eventIds],
      );
      return rowCount ?? 0;
    },
    async settleReplay(name, epoch, eventId, outcome) {
      const { rows } = await query<{ ok: boolean }>(
        outcome.delivered
          ? `WITH d AS (DELETE FROM stategate_trigger_dead_letters WHERE trigger_name = $1 AND event_id = $3 AND ${CURRENT})
             SELECT ${CURRENT} AS ok`
          : `WITH u AS (UPDATE stategate_trigger_dead_letters SET attempts = $4, last_error = $5, time = $6, replay = false
                        WHERE trigger_name = $1 AND event_id = $3 AND ${CURRENT})
             SELECT ${CURRENT} AS ok`,
        outcome.delivered
          ? [name, epoch, eventId]
          : [name, epoch, eventId, outcome.attempts, outcome.lastError, outcome.time],
      );
      return rows[0]?.ok === true;
    },
  };
}
