import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../../../core/ports/logger.js';
import { migrate } from './migrations.js';

export interface OpenOptions {
  path: string;
  busyTimeoutMs: number;
  logger: Logger;
}

/**
 * Opens (creating if needed) the database file and makes it ready: durable PRAGMAs, schema migrated.
 *
 * - WAL lets readers in other processes (backups, inspection) work while we write, and makes a commit a
 *   single sequential append.
 * - synchronous=FULL fsyncs the WAL at every commit, so an acknowledged mutation survives power loss (G1).
 *   Group commit (write-batch.ts) amortises that fsync over many mutations.
 * - Every integer is read as bigint (`defaultSafeIntegers`), because nanosecond times (~1.7e18) exceed
 *   2^53; row mapping turns versions and positions back into numbers.
 */
export function openDatabase({ path, busyTimeoutMs, logger }: OpenOptions): Database.Database {
  const inMemory = path === ':memory:' || path === '';
  if (!inMemory && !path.startsWith('file:')) mkdirSync(dirname(resolve(path)), { recursive: true });

  const db = new Database(path, { timeout: busyTimeoutMs });
  try {
    const journal = String(db.pragma('journal_mode = WAL', { simple: true }));
    if (!inMemory && journal.toLowerCase() !== 'wal') {
      logger.warn({ path, journal }, 'sqlite could not switch to WAL journal mode');
    }
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
    db.defaultSafeIntegers(true);
    const version = migrate(db, logger);
    logger.info({ path, schemaVersion: version, journal }, 'sqlite storage open');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
