import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { StategateError, unavailable } from '../../../core/errors.js';
import type { TriggerStore } from '../../../core/ports/trigger-store.js';
import { specToJson } from '../../../core/triggers/stored-spec.js';
import { letterFromRow, type SqlLetterRow, type SqlTriggerRow, triggerFromRow } from '../sql-trigger-rows.js';

// Names are bounded (64 characters, core/triggers/validate-trigger.ts) and event ids are uuids, so both fit a key.
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS stategate_triggers (
    name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PRIMARY KEY,
    spec LONGTEXT NOT NULL,
    position BIGINT NOT NULL,
    epoch BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    attempts INT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
  ) ENGINE=InnoDB`,
  `CREATE TABLE IF NOT EXISTS stategate_trigger_dead_letters (
    trigger_name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    event_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    position BIGINT NOT NULL,
    domain TEXT NOT NULL,
    type TEXT NOT NULL,
    \`key\` TEXT NOT NULL,
    attempts INT NOT NULL,
    last_error TEXT NOT NULL,
    time BIGINT NOT NULL,
    replay BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (trigger_name, event_id),
    KEY stategate_trigger_dead_letters_by_position (trigger_name, position),
    FOREIGN KEY (trigger_name) REFERENCES stategate_triggers(name) ON DELETE CASCADE
  ) ENGINE=InnoDB`,
];

const COLUMNS = 'spec, position, epoch, last_error, attempts, created_at';
const LETTER_COLUMNS = 'event_id, position, domain, type, `key`, attempts, last_error, time, replay';

/** Triggers in the MariaDB database, on the storage's own pool. */
export function createMysqlTriggerStore(pool: Pool, isClosed: () => boolean): TriggerStore {
  const fail = (err: unknown): never => {
    if (err instanceof StategateError) throw err;
    throw unavailable(`trigger storage failed: ${(err as Error).message}`, err);
  };
  const rows = async <Row extends object = Record<string, unknown>>(sql: string, values: unknown[] = []) => {
    if (isClosed()) throw unavailable('storage is closed');
    const [result] = await pool.query<(Row & RowDataPacket)[]>(sql, values).catch(fail);
    return result;
  };
  const exec = async (sql: string, values: unknown[] = []) => {
    if (isClosed()) throw unavailable('storage is closed');
    const [result] = await pool.query<ResultSetHeader>(sql, values).catch(fail);
    return result;
  };
  /** Runs `work` in a transaction holding the trigger's row while its epoch is still `epoch`; false otherwise. */
  const fenced = async (name: string, epoch: number, work: (c: PoolConnection) => Promise<void>) => {
    if (isClosed()) throw unavailable('storage is closed');
    const connection = await pool.getConnection().catch(fail);
    try {
      await connection.beginTransaction();
      const [held] = await connection.query<RowDataPacket[]>(
        'SELECT epoch FROM stategate_triggers WHERE name = ? FOR UPDATE',
        [name],
      );
      if (held[0] === undefined || Number(held[0].epoch) !== epoch) {
        await connection.rollback();
        return false;
      }
      await work(connection);
      await connection.commit();
      return true;
    } catch (err) {
      await connection.rollback().catch(() => undefined);
      return fail(err);
    } finally {
      connection.release();
    }
  };

  return {
    async open() {
      for (const statement of SCHEMA) await exec(statement);
    },
    async create(spec, position, createdAt) {
      const result = await exec(
        'INSERT IGNORE INTO stategate_triggers (name, spec, position, created_at) VALUES (?, ?, ?, ?)',
        [spec.name, specToJson(spec), position, createdAt],
      );
      return result.affectedRows === 1;
    },
    async update(spec) {
      const result = await exec('UPDATE stategate_triggers SET spec = ? WHERE name = ?', [specToJson(spec), spec.name]);
      return result.affectedRows === 1;
    },
    async get(name) {
      const found = await rows<SqlTriggerRow>(`SELECT ${COLUMNS} FROM stategate_triggers WHERE name = ?`, [name]);
      return found[0] ? triggerFromRow(found[0]) : null;
    },
    async list() {
      return (await rows<SqlTriggerRow>(`SELECT ${COLUMNS} FROM stategate_triggers ORDER BY name`)).map(triggerFromRow);
    },
    async delete(name) {
      const result = await exec('DELETE FROM stategate_triggers WHERE name = ?', [name]);
      return result.affectedRows === 1;
    },
    async claim(name) {
      // LAST_INSERT_ID(expr) hands the new epoch back in the same statement's answer (no second read to race).
      const result = await exec('UPDATE stategate_triggers SET epoch = LAST_INSERT_ID(epoch + 1) WHERE name = ?', [
        name,
      ]);
      return result.affectedRows === 1 ? Number(result.insertId) : null;
    },
    async saveProgress(name, epoch, p) {
      // FOUND_ROWS (mysql2's default): affectedRows counts the matched row even when nothing changed.
      const result = await exec(
        `UPDATE stategate_triggers SET position = GREATEST(position, ?), last_error = ?, attempts = ?
         WHERE name = ? AND epoch = ?`,
        [p.position, p.lastError, p.attempts, name, epoch],
      );
      return result.affectedRows === 1;
    },
    addDeadLetter: (name, epoch, l) =>
      fenced(name, epoch, async (c) => {
        await c.query(
          `INSERT INTO stategate_trigger_dead_letters
             (trigger_name, event_id, position, domain, type, \`key\`, attempts, last_error, time, replay)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, false)
           ON DUPLICATE KEY UPDATE attempts = VALUES(attempts), last_error = VALUES(last_error),
             time = VALUES(time), replay = false`,
          [name, l.eventId, l.position, l.domain, l.type, l.key, l.attempts, l.lastError, l.time ?? Date.now()],
        );
      }),
    async listDeadLetters(name, { limit, replayOnly }) {
      const found = await rows<SqlLetterRow>(
        `SELECT ${LETTER_COLUMNS} FROM stategate_trigger_dead_letters
         WHERE trigger_name = ? ${replayOnly ? 'AND replay' : ''} ORDER BY position LIMIT ?`,
        [name, limit],
      );
      return found.map(letterFromRow);
    },
    async countDeadLetters(name) {
      const found = await rows('SELECT COUNT(*) AS n FROM stategate_trigger_dead_letters WHERE trigger_name = ?', [
        name,
      ]);
      return Number(found[0]?.n ?? 0);
    },
    async markReplay(name, eventIds) {
      if (eventIds !== null && eventIds.length === 0) return 0;
      const result = await exec(
        `UPDATE stategate_trigger_dead_letters SET replay = true
         WHERE trigger_name = ? AND NOT replay ${eventIds === null ? '' : 'AND event_id IN (?)'}`,
        eventIds === null ? [name] : [name, eventIds],
      );
      return result.affectedRows;
    },
    settleReplay: (name, epoch, eventId, outcome) =>
      fenced(name, epoch, async (c) => {
        if (outcome.delivered) {
          await c.query('DELETE FROM stategate_trigger_dead_letters WHERE trigger_name = ? AND event_id = ?', [
            name,
            eventId,
          ]);
        } else {
          await c.query(
            `UPDATE stategate_trigger_dead_letters SET attempts = ?, last_error = ?, time = ?, replay = false
             WHERE trigger_name = ? AND event_id = ?`,
            [outcome.attempts, outcome.lastError, outcome.time, name, eventId],
          );
        }
      }),
  };
}
