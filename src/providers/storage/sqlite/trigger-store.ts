import type Database from 'better-sqlite3';
import { StategateError, unavailable } from '../../../core/errors.js';
import type { TriggerStore } from '../../../core/ports/trigger-store.js';
import { specToJson } from '../../../core/triggers/stored-spec.js';
import { letterFromRow, triggerFromRow } from '../sql-trigger-rows.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS stategate_triggers (
  name TEXT PRIMARY KEY,
  spec TEXT NOT NULL,
  position INTEGER NOT NULL,
  epoch INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS stategate_trigger_dead_letters (
  trigger_name TEXT NOT NULL REFERENCES stategate_triggers(name) ON DELETE CASCADE,
  event_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  domain TEXT NOT NULL,
  type TEXT NOT NULL,
  key TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  time INTEGER NOT NULL,
  replay INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (trigger_name, event_id)
);
CREATE INDEX IF NOT EXISTS stategate_trigger_dead_letters_by_position
  ON stategate_trigger_dead_letters (trigger_name, position);
`;

type TriggerRow = {
  name: string;
  spec: string;
  position: bigint;
  epoch: bigint;
  last_error: string | null;
  attempts: bigint;
  created_at: bigint;
};
type LetterRow = {
  event_id: string;
  position: bigint;
  domain: string;
  type: string;
  key: string;
  attempts: bigint;
  last_error: string;
  time: bigint;
  replay: bigint;
};

/**
 * Triggers in the sqlite file, beside the log, on the storage's own connection. Calls are synchronous on
 * that one connection, so none interleaves with a group-commit batch.
 */
export function createSqliteTriggerStore(db: Database.Database, isClosed: () => boolean): TriggerStore {
  let statements: ReturnType<typeof prepare> | null = null;
  const run = async <T>(work: (s: ReturnType<typeof prepare>) => T): Promise<T> => {
    if (isClosed()) throw unavailable('storage is closed');
    try {
      statements ??= prepare(db);
      return work(statements);
    } catch (err) {
      if (err instanceof StategateError) throw err;
      throw unavailable('trigger storage failed', err);
    }
  };
  const current = (s: ReturnType<typeof prepare>, name: string, epoch: number) =>
    s.epochOf.get(name)?.epoch === BigInt(epoch);

  return {
    async open() {
      if (isClosed()) throw unavailable('storage is closed');
      db.exec(SCHEMA);
    },
    create: (spec, position, createdAt) =>
      run((s) => s.insert.run(spec.name, specToJson(spec), BigInt(position), BigInt(createdAt)).changes === 1),
    update: (spec) => run((s) => s.updateSpec.run(specToJson(spec), spec.name).changes === 1),
    get: (name) =>
      run((s) => {
        const row = s.get.get(name);
        return row ? triggerFromRow(row) : null;
      }),
    list: () => run((s) => s.list.all().map(triggerFromRow)),
    delete: (name) => run((s) => s.delete.run(name).changes === 1),
    claim: (name) =>
      run((s) => {
        const row = s.claim.get(name);
        return row ? Number(row.epoch) : null;
      }),
    saveProgress: (name, epoch, p) =>
      run(
        (s) => s.progress.run(BigInt(p.position), p.lastError, BigInt(p.attempts), name, BigInt(epoch)).changes === 1,
      ),
    addDeadLetter: (name, epoch, l) =>
      run((s) =>
        db.transaction(() => {
          if (!current(s, name, epoch)) return false;
          s.addLetter.run(
            name,
            l.eventId,
            BigInt(l.position),
            l.domain,
            l.type,
            l.key,
            BigInt(l.attempts),
            l.lastError,
            BigInt(l.time ?? Date.now()),
          );
          return true;
        })(),
      ),
    listDeadLetters: (name, { limit, replayOnly }) =>
      run((s) => (replayOnly ? s.replayLetters : s.letters).all(name, BigInt(limit)).map(letterFromRow)),
    countDeadLetters: (name) => run((s) => Number(s.countLetters.get(name)?.n ?? 0n)),
    markReplay: (name, eventIds) =>
      run((s) =>
        eventIds === null
          ? s.markAll.run(name).changes
          : db.transaction(() => eventIds.reduce((n, id) => n + s.markOne.run(name, id).changes, 0))(),
      ),
    settleReplay: (name, epoch, eventId, outcome) =>
      run((s) =>
        db.transaction(() => {
          if (!current(s, name, epoch)) return false;
          if (outcome.delivered) s.removeLetter.run(name, eventId);
          else s.failLetter.run(BigInt(outcome.attempts), outcome.lastError, BigInt(outcome.time), name, eventId);
          return true;
        })(),
      ),
  };
}

function prepare(db: Database.Database) {
  const columns = 'name, spec, position, epoch, last_error, attempts, created_at';
  const letterColumns = 'event_id, position, domain, type, key, attempts, last_error, time, replay';
  return {
    insert: db.prepare<[string, string, bigint, bigint]>(
      'INSERT INTO stategate_triggers (name, spec, position, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    updateSpec: db.prepare<[string, string]>('UPDATE stategate_triggers SET spec = ? WHERE name = ?'),
    get: db.prepare<[string], TriggerRow>(`SELECT ${columns} FROM stategate_triggers WHERE name = ?`),
    list: db.prepare<[], TriggerRow>(`SELECT ${columns} FROM stategate_triggers ORDER BY name`),
    delete: db.prepare<[string]>('DELETE FROM stategate_triggers WHERE name = ?'),
    epochOf: db.prepare<[string], { epoch: bigint }>('SELECT epoch FROM stategate_triggers WHERE name = ?'),
    claim: db.prepare<[string], { epoch: bigint }>(
      'UPDATE stategate_triggers SET epoch = epoch + 1 WHERE name = ? RETURNING epoch',
    ),
    progress: db.prepare<[bigint, string | null, bigint, string, bigint]>(
      `UPDATE stategate_triggers SET position = MAX(position, ?), last_error = ?, attempts = ?
       WHERE name = ? AND epoch = ?`,
    ),
    addLetter: db.prepare<[string, string, bigint, string, string, string, bigint, string, bigint]>(
      `INSERT INTO stategate_trigger_dead_letters
         (trigger_name, event_id, position, domain, type, key, attempts, last_error, time, replay)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
       ON CONFLICT (trigger_name, event_id) DO UPDATE SET
         attempts = excluded.attempts, last_error = excluded.last_error, time = excluded.time, replay = 0`,
    ),
    letters: db.prepare<[string, bigint], LetterRow>(
      `SELECT ${letterColumns} FROM stategate_trigger_dead_letters WHERE trigger_name = ? ORDER BY position LIMIT ?`,
    ),
    replayLetters: db.prepare<[string, bigint], LetterRow>(
      `SELECT ${letterColumns} FROM stategate_trigger_dead_letters WHERE trigger_name = ? AND replay = 1
       ORDER BY position LIMIT ?`,
    ),
    countLetters: db.prepare<[string], { n: bigint }>(
      'SELECT COUNT(*) AS n FROM stategate_trigger_dead_letters WHERE trigger_name = ?',
    ),
    markAll: db.prepare<[string]>(
      'UPDATE stategate_trigger_dead_letters SET replay = 1 WHERE trigger_name = ? AND replay = 0',
    ),
    markOne: db.prepare<[string, string]>(
      'UPDATE stategate_trigger_dead_letters SET replay = 1 WHERE trigger_name = ? AND event_id = ? AND replay = 0',
    ),
    removeLetter: db.prepare<[string, string]>(
      'DELETE FROM stategate_trigger_dead_letters WHERE trigger_name = ? AND event_id = ?',
    ),
    failLetter: db.prepare<[bigint, string, bigint, string, string]>(
      `UPDATE stategate_trigger_dead_letters SET attempts = ?, last_error = ?, time = ?, replay = 0
       WHERE trigger_name = ? AND event_id = ?`,
    ),
  };
}
