import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../../../core/ports/logger.js';
import { StartupError } from '../../../startup-error.js';
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
  let db: Database.Database;
  let journal: string;
  try {
    if (!inMemory && !path.startsWith('file:')) makeParentDirectories(resolve(path));
    db = new Database(path, { timeout: busyTimeoutMs });
  } catch (err) {
    throw unusablePath(path, err);
  }
  try {
    try {
      // The first statement that writes: a read-only directory or file fails here.
      journal = String(db.pragma('journal_mode = WAL', { simple: true }));
    } catch (err) {
      throw isPathFault(err) ? unusablePath(path, err) : err;
    }
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

/**
 * Creates the missing directories above the database file, one level at a time: Node's recursive mkdir
 * never returns for a path under /proc, and one level at a time names the level that failed.
 */
function makeParentDirectories(file: string): void {
  const missing: string[] = [];
  for (let dir = dirname(file); !existsSync(dir); dir = dirname(dir)) {
    missing.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing) mkdirSync(dir);
}

/** SQLite's answers that mean the file or its directory cannot be written (not, e.g., a busy database). */
function isPathFault(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(CANTOPEN|READONLY|PERM|IOERR)/.test(code);
}

/** The operator's mistake, said as such: which variable, which path, what the system answered. */
function unusablePath(path: string, err: unknown): StartupError {
  const reason = err instanceof Error ? err.message : String(err);
  return new StartupError(
    `STATEGATE_STORAGE_PROVIDER: the sqlite path ${JSON.stringify(path)} cannot be opened for writing (${reason}); ` +
      'point "path" at a file in a writable directory',
    { cause: err },
  );
}
