import type pg from 'pg';
import { failedPrecondition } from '../../../core/errors.js';
import type { Logger } from '../../../core/ports/logger.js';

/** One step of the schema. Steps are append-only: a released step is never edited, a new one is added. */
export interface Migration {
  /** Recorded in `schema_migrations` once applied; consecutive from 1. */
  version: number;
  description: string;
  sql: string;
}

/**
 * The schema, step by step (the same shape as the sqlite provider's).
 *
 * - `entities` is the head row of each entity: its latest version and time, its values as jsonb, or NULL
 *   while it is deleted (a tombstone keeps the version sequence going across deletion, G2).
 * - `events` is the log. `position` comes from `events_position` while the appending transaction holds the
 *   log's advisory lock until it commits, so positions become visible in commit order (G4).
 * - Text columns are COLLATE "C": comparisons and ORDER BY go by code point, as on sqlite (G10). The event
 *   id is text, not uuid: uuid would lower-case it and turn a malformed id in a read into an error.
 * - Indexes serve, in order: Get by version, Get at a time (time travel), event search by position
 *   (`after` paging), event search by time range; the log itself is the primary key.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'entities head table and events log',
    sql: `
      CREATE TABLE entities (
        domain   text COLLATE "C" NOT NULL,
        type     text COLLATE "C" NOT NULL,
        key      text COLLATE "C" NOT NULL,
        version  bigint NOT NULL,
        "values" jsonb,
        time     bigint NOT NULL,
        PRIMARY KEY (domain, type, key)
      );

      CREATE SEQUENCE events_position AS bigint;

      CREATE TABLE events (
        position bigint PRIMARY KEY,
        id       text COLLATE "C" NOT NULL UNIQUE,
        domain   text COLLATE "C" NOT NULL,
        type     text COLLATE "C" NOT NULL,
        key      text COLLATE "C" NOT NULL,
        version  bigint NOT NULL,
        method   text COLLATE "C" NOT NULL,
        claims   jsonb NOT NULL,
        "values" jsonb NOT NULL,
        time     bigint NOT NULL
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

/** Serialises migrations of concurrent starters (any constant distinct from LOG_LOCK works). */
const MIGRATION_LOCK = 0x5374_6d67; // "Stmg"

/**
 * Brings the database up to SCHEMA_VERSION. All pending steps run in one transaction under an advisory
 * lock, so two instances starting at once cannot both apply a step, and a failure leaves the previous
 * version intact. A database written by a newer build is refused.
 */
export async function migrate(client: pg.PoolClient, logger: Logger): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version bigint PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: string | null }>(
      'SELECT max(version) AS version FROM schema_migrations',
    );
    const from = Number(rows[0]?.version ?? 0);
    if (from > SCHEMA_VERSION) {
      throw failedPrecondition(
        `postgres schema version ${from} is newer than this build supports (${SCHEMA_VERSION}); upgrade stategate`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= from) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, description) VALUES ($1, $2)', [
        migration.version,
        migration.description,
      ]);
      logger.info({ version: migration.version, description: migration.description }, 'postgres migration applied');
    }
    await client.query('COMMIT');
    return Math.max(from, SCHEMA_VERSION);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
