import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { failedPrecondition } from '../../../core/errors.js';
import type { Logger } from '../../../core/ports/logger.js';

/** One step of the schema. Steps are append-only: a released step is never edited, a new one is added. */
export interface Migration {
  /** Recorded in `schema_migrations` once applied; consecutive from 1. */
  version: number;
  description: string;
  /**
   * Run one by one (the driver is never allowed multiple statements per call). MariaDB commits each DDL
   * statement on its own, so a step cannot be rolled back: every statement is idempotent (IF NOT EXISTS,
   * INSERT IGNORE) and a step interrupted halfway is completed by the next start.
   */
  statements: readonly string[];
}

/*
 * The schema (the same shape as the sqlite and postgres providers'; see ../sql-tables.ts).
 *
 * - Names (domain, type, key, and the event's id and method) are VARBINARY holding UTF-8: comparisons and
 *   ORDER BY go byte by byte, which is code point order, as on sqlite (G10), with no trailing-space padding
 *   (MariaDB's utf8mb4_bin is a PAD SPACE collation: 'a' = 'a ' there). VARBINARY(768) fits the longest name
 *   core accepts (256 UTF-16 units, at most 768 UTF-8 bytes) and keeps every index under InnoDB's
 *   3072-byte key limit (three utf8mb4 VARCHAR(256) would not leave room for the version).
 * - JSON documents are LONGTEXT utf8mb4 holding exactly the text stategate wrote (MariaDB's JSON type is
 *   the same LONGTEXT), checked by JSON_VALID.
 * - `log_head` holds the last log position in one row. An append increments it and holds the row lock
 *   until it commits, so positions are drawn in commit order (G4) and have no gaps.
 * - Indexes serve, in order: Get by version, Get at a time, event search by position (`after` paging),
 *   event search by time range; the log itself is the primary key.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'entities head table, events log and log head',
    statements: [
      `CREATE TABLE IF NOT EXISTS \`entities\` (
        \`domain\`  VARBINARY(768) NOT NULL,
        \`type\`    VARBINARY(768) NOT NULL,
        \`key\`     VARBINARY(768) NOT NULL,
        \`version\` BIGINT NOT NULL,
        \`values\`  LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL CHECK (JSON_VALID(\`values\`)),
        \`time\`    BIGINT NOT NULL,
        PRIMARY KEY (\`domain\`, \`type\`, \`key\`)
      ) ENGINE=InnoDB`,
      `CREATE TABLE IF NOT EXISTS \`events\` (
        \`position\` BIGINT NOT NULL PRIMARY KEY,
        \`id\`       VARBINARY(255) NOT NULL,
        \`domain\`   VARBINARY(768) NOT NULL,
        \`type\`     VARBINARY(768) NOT NULL,
        \`key\`      VARBINARY(768) NOT NULL,
        \`version\`  BIGINT NOT NULL,
        \`method\`   VARBINARY(255) NOT NULL,
        \`claims\`   LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL CHECK (JSON_VALID(\`claims\`)),
        \`values\`   LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL CHECK (JSON_VALID(\`values\`)),
        \`time\`     BIGINT NOT NULL,
        UNIQUE KEY \`events_id\` (\`id\`),
        UNIQUE KEY \`events_entity_version\` (\`domain\`, \`type\`, \`key\`, \`version\`),
        KEY \`events_entity_time\` (\`domain\`, \`type\`, \`key\`, \`time\`),
        KEY \`events_type_position\` (\`domain\`, \`type\`, \`position\`),
        KEY \`events_type_time\` (\`domain\`, \`type\`, \`time\`)
      ) ENGINE=InnoDB`,
      `CREATE TABLE IF NOT EXISTS \`log_head\` (
        \`id\`       TINYINT NOT NULL PRIMARY KEY CHECK (\`id\` = 1),
        \`position\` BIGINT NOT NULL
      ) ENGINE=InnoDB`,
      'INSERT IGNORE INTO `log_head` (`id`, `position`) VALUES (1, 0)',
    ],
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Serialises migrations of concurrent starters (a server-wide named lock, held by this session). */
const MIGRATION_LOCK = 'stategate.migrate';
const MIGRATION_LOCK_TIMEOUT_S = 60;

/**
 * Brings the database up to SCHEMA_VERSION under a named lock, so two instances starting at once cannot
 * both apply a step. A database written by a newer build is refused.
 */
export async function migrate(connection: PoolConnection, logger: Logger): Promise<number> {
  const [locked] = await connection.query<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS `locked`', [
    MIGRATION_LOCK,
    MIGRATION_LOCK_TIMEOUT_S,
  ]);
  if (Number(locked[0]?.locked) !== 1) {
    throw failedPrecondition(`another instance held the migration lock for ${MIGRATION_LOCK_TIMEOUT_S}s`);
  }
  try {
    await connection.query(
      `CREATE TABLE IF NOT EXISTS \`schema_migrations\` (
         \`version\` BIGINT NOT NULL PRIMARY KEY,
         \`description\` VARCHAR(255) NOT NULL,
         \`applied_at\` TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
       ) ENGINE=InnoDB`,
    );
    const [rows] = await connection.query<RowDataPacket[]>(
      'SELECT MAX(`version`) AS `version` FROM `schema_migrations`',
    );
    const from = Number(rows[0]?.version ?? 0);
    if (from > SCHEMA_VERSION) {
      throw failedPrecondition(
        `schema version ${from} is newer than this build supports (${SCHEMA_VERSION}); upgrade stategate`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= from) continue;
      for (const statement of migration.statements) await connection.query(statement);
      await connection.query('INSERT INTO `schema_migrations` (`version`, `description`) VALUES (?, ?)', [
        migration.version,
        migration.description,
      ]);
      logger.info({ version: migration.version, description: migration.description }, 'mysql migration applied');
    }
    return Math.max(from, SCHEMA_VERSION);
  } finally {
    await connection.query('SELECT RELEASE_LOCK(?)', [MIGRATION_LOCK]).catch(() => undefined);
  }
}
