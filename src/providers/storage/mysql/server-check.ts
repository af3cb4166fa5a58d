import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { failedPrecondition } from '../../../core/errors.js';

/** The oldest MariaDB this provider uses features of (JSON_TABLE, utf8mb4_nopad_bin and JSON_COMPACT). */
export const MIN_MARIADB = [10, 6] as const;

export interface ServerInfo {
  version: string;
}

/**
 * Refuses a server that would silently weaken a guarantee (DESIGN.md §4):
 * - MySQL proper: its JSON type, JSON_EXTRACT formatting and collations differ from MariaDB's, and the
 *   filter semantics (G10) are only proven against MariaDB.
 * - MariaDB older than MIN_MARIADB.
 * - `innodb_flush_log_at_trx_commit` other than 1: a commit would be acknowledged before its redo log
 *   reached the disk, so a crash could lose acknowledged mutations (G1).
 */
export async function checkServer(connection: PoolConnection): Promise<ServerInfo> {
  const [rows] = await connection.query<RowDataPacket[]>(
    'SELECT VERSION() AS `version`, @@innodb_flush_log_at_trx_commit AS `flush`',
  );
  const version = String(rows[0]?.version ?? '');
  const match = /^(\d+)\.(\d+)\.\d+-MariaDB/i.exec(version);
  if (!match) {
    throw failedPrecondition(
      `server ${version} is not MariaDB; stategate's mysql provider needs MariaDB >= ${MIN_MARIADB.join('.')}`,
    );
  }
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major < MIN_MARIADB[0] || (major === MIN_MARIADB[0] && minor < MIN_MARIADB[1])) {
    throw failedPrecondition(`MariaDB ${version} is too old; stategate needs MariaDB >= ${MIN_MARIADB.join('.')}`);
  }
  const flush = String(rows[0]?.flush);
  if (flush !== '1') {
    throw failedPrecondition(
      `innodb_flush_log_at_trx_commit is ${flush}; stategate needs 1 so that an acknowledged mutation survives a crash`,
    );
  }
  return { version };
}
