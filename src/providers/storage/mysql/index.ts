export { SCHEMA_VERSION } from './migrations.js';
export { createMysqlStorage, type MysqlStorageOptions } from './mysql-storage.js';
