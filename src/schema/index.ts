import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.js';
import './scalars.js';
import './entity.js';
import './list-types.js';
import './triggers.js';
import './event.js';
import './peer.js';
import './cache.js';
import './mutex.js';

/** The stategate GraphQL schema, served at /api/graphql. */
export const schema = builder.toSchema();

/** The SDL checked in as `schema.graphql` (sorted, so it only changes when the schema does). */
export function printSchemaSdl(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
