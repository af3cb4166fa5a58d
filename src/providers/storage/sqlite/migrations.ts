import type Database from 'better-sqlite3';
import { failedPrecondition } from '../../../core/errors.js';
import type { Logger } from '../../../core/ports/logger.js';

/** One step of the schema. Steps are append-only: a released step is never edited, a new one is added. */
export interface Migration {
  /** Stored in `PRAGMA user_version` once applied; consecutive from 1. */
  version: number;
  description: string;
  sql: string;
}

/**
 * The schema, step by step.
 *
 * - `entities` is the head row of each entity: its latest version and time, and its values as JSON text,
 *   or NULL while it is deleted (a tombstone keeps the version sequence going across deletion, G2).
 * - `events` is the log. `position` is an AUTOINCREMENT rowid, so a position is never reused even after
 *   the newest events are removed by hand, and positions rise in commit order (one writer, G4).
 * - Indexes serve, in order: Get by version, Get at a time (time travel), event search by position
 *   (`after` paging), event search by time range.
 *
 * `values` is an SQL keyword, hence the quotes wherever the column is named.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'entities head table and events log',
    sql: `
      CREATE TABLE entities (
        domain   TEXT    NOT NULL,
        type     TEXT    NOT NULL,
        key      TEXT    NOT NULL,
        version  INTEGER NOT NULL,
        "values" TEXT,
        time     INTEGER NOT NULL,
        PRIMARY KEY (domain, type, key)
      ) WITHOUT ROWID;

      CREATE TABLE events (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        id       TEXT    NOT NULL UNIQUE,
        domain   TEXT    NOT NULL,
        type     TEXT    NOT NULL,
        key      TEXT    NOT NULL,
        version  INTEGER NOT NULL,
        method   TEXT    NOT NULL,
        claims   TEXT    NOT NULL,
        "values" TEXT    NOT NULL,
        time     INTEGER NOT NULL
      );

      CREATE UNIQUE INDEX events_entity_version ON events (domain, type, key, version);
      CREATE INDEX events_entity_time ON events (domain, type, key, time);
      CREATE INDEX events_type_position ON events (domain, type, position);
      CREATE INDEX events_type_time ON events (domain, type, time);
    `,
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database up to SCHEMA_VERSION. Each step runs in its own IMMEDIATE transaction together with
 * its `user_version` bump, so a crash mid-way leaves the previous version intact, and two processes opening
 * the same new file at once cannot both apply a step. A database written by a newer build is refused:
 * running old code on a newer schema could silently misread it.
 */
export function migrate(db: Database.Database, logger: Logger): number {
  const from = userVersion(db);
  if (from > SCHEMA_VERSION) {
    throw failedPrecondition(
      `sqlite database schema version ${from} is newer than this build supports (${SCHEMA_VERSION}); upgrade stategate`,
    );
  }
  for (const migration of MIGRATIONS) {
    const apply = db.transaction(() => {
      // Re-read inside the write lock: another process may have applied this step since we looked.
      if (userVersion(db) >= migration.version) return false;
      db.exec(migration.sql);
      // The version is this module's own integer constant, never outside input.
      db.pragma(`user_version = ${Math.trunc(migration.version)}`);
      return true;
    });
    if (apply.immediate()) {
      logger.info({ version: migration.version, description: migration.description }, 'sqlite migration applied');
    }
  }
  return userVersion(db);
}

function userVersion(db: Database.Database): number {
  return Number(db.pragma('user_version', { simple: true }));
}
