export { type CassandraStorageOptions, createCassandraStorage } from './cassandra-storage.js';
