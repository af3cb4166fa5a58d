import type { StorageProvider } from '../core/ports/storage.js';

/** A call core makes on storage. */
export type StorageCall = Exclude<keyof StorageProvider, 'name'>;

/** Every call core makes on storage while serving: what metrics time and traces show. */
export const STORAGE_CALLS: readonly StorageCall[] = [
  'append',
  'getEntity',
  'getEntities',
  'getEventByVersion',
  'getEventAt',
  'getEvent',
  'searchEntities',
  'searchEvents',
  'listTypes',
  'readLog',
  'headPosition',
];
