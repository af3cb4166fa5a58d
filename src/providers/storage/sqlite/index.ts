export { SCHEMA_VERSION } from './migrations.js';
export { createSqliteStorage, type SqliteStorageOptions } from './sqlite-storage.js';
