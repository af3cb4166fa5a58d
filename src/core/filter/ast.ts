/**
 * The parsed, validated form of a search `query_string`. Providers translate this tree into parameterised
 * queries; they never see the client's raw JSON, so no operator outside this closed set can reach a store.
 */

/** A field of a stored entity or event that a filter or sort may name. */
export type FieldRef =
  /** A first-class column: the entity key, or one of the event's own fields. */
  | { kind: 'column'; column: Column }
  /** A path inside a JSON document: the entity's values or the event's claims. */
  | { kind: 'json'; document: 'values' | 'claims'; path: readonly string[] };

/**
 * Columns by meaning. For entity search only `key` exists; for event search all of them.
 * `time` holds nanoseconds (bigint); `version` and `position` are integers.
 */
export type Column = 'key' | 'id' | 'method' | 'time' | 'version' | 'position';

/** A literal a filter compares with. bigint appears only for the `time` column. */
export type Scalar = string | number | boolean | null | bigint;

export type CompareOp = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte';

export type Filter =
  | { op: 'and'; filters: readonly Filter[] }
  | { op: 'or'; filters: readonly Filter[] }
  | { op: 'not'; filter: Filter }
  | { op: CompareOp; field: FieldRef; value: Scalar }
  | { op: 'in' | 'nin'; field: FieldRef; values: readonly Scalar[] }
  | { op: 'exists'; field: FieldRef; value: boolean };

/** A sort key: a field and its direction. Ties are always broken by key (entities) or position (events). */
export interface SortSpec {
  field: FieldRef;
  reverse: boolean;
}
