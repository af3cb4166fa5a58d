export { createMongoStorage, type MongoStorageOptions } from './mongo-storage.js';
