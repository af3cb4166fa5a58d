import SchemaBuilder from '@pothos/core';
import type { JsonValue } from '../core/model.js';
import type { GraphqlContext } from '../resolvers/context.js';

/**
 * The one Pothos builder of the GraphQL schema. Output fields are non-null unless marked `nullable`;
 * input fields are optional unless marked `required`.
 */
export const builder = new SchemaBuilder<{
  Context: GraphqlContext;
  DefaultFieldNullability: false;
  Scalars: {
    /** Input never holds a top-level null: GraphQL handles null itself before a scalar parses. */
    JSON: { Input: Exclude<JsonValue, null>; Output: JsonValue };
    /** Exact 64-bit integers: bigint in (nanosecond times), bigint or number out (versions, positions). */
    Int64: { Input: bigint; Output: bigint | number };
    DateTime: { Input: Date; Output: Date };
  };
}>({ defaultFieldNullability: false });

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
