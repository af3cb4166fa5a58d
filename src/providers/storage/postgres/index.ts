export { SCHEMA_VERSION } from './migrations.js';
export { createPostgresStorage, type PostgresStorageOptions } from './postgres-storage.js';
