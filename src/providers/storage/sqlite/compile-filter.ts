import type { Filter, Scalar, SortSpec } from '../../../core/filter/ast.js';
import { compileBoolean, type FilterLeaf } from '../sql-boolean.js';
import {
  type ColumnLeaf,
  compileColumnLeaf,
  compileOrderBy,
  NamedParams,
  quotedJsonPath,
  resolveDocument,
  SQL_COMPARE,
} from '../sql-fields.js';
import type { TableShape } from '../sql-tables.js';

/*
 * Filter and sort semantics: the cross-provider contract (G10). Every storage provider must give exactly
 * these answers; test/contract/storage.contract.ts checks them.
 *
 * JSON fields (paths inside `values` or `claims`):
 * - A path names object keys only, `a.b` = key "b" of the object at key "a"; there is no array indexing and
 *   no matching of array elements (unlike MongoDB, `{tags: "x"}` does not match `tags: ["x"]`).
 * - A comparison matches only values of the literal's JSON type: a number literal matches JSON numbers
 *   (integer or real, compared numerically), a string literal JSON strings (compared by code point, i.e.
 *   UTF-8 byte order), a boolean literal true/false (false < true). Arrays and objects match no literal.
 * - `$eq null` matches a missing field or a JSON null. `$gt/$gte/$lt/$lte null` match nothing.
 * - `$ne`, `$nin`, `$not` are the plain negation of `$eq`, `$in`, the inner condition: they also match
 *   documents where the field is missing (as MongoDB does). `$in: []` matches nothing, `$nin: []` all.
 * - `$exists: true` = the path exists, even when its value is null; `$exists: false` = it does not.
 * Columns (`key`, `id`, `method`: text; `version`, `position`: integers; `time`: integer ns) compare
 * directly; a literal of another type matches nothing (and so its negation matches everything).
 *
 * Sort by a JSON field orders by type first, as MongoDB does: missing and null, then numbers (numerically),
 * then strings (by code point), then objects, then arrays (each by its compact JSON text), then booleans
 * (false, true). Ties are broken by key (entities) or position (events), always ascending; `reverse` flips
 * the field's order only, so a page boundary never depends on the direction.
 *
 * Safety: every literal and every JSON path is a bound parameter. Path segments are re-checked
 * (../sql-fields.ts) even though the parser already restricts them, so client text never reaches the SQL.
 */

/**
 * Collects named parameters (`@p0`, `@p1`, …) while SQL is generated: a fragment may reuse one parameter
 * (a JSON path appears in json_type and json_extract).
 */
export class SqlParams extends NamedParams<unknown> {
  constructor() {
    super('@');
  }
}

/**
 * Translates a filter into an SQL boolean expression. Every generated expression evaluates to 0 or 1,
 * never NULL, so `NOT` is always the plain negation (SQL's three-valued logic would otherwise drop rows
 * whose field is missing from `$ne`).
 */
export function compileFilter(filter: Filter, shape: TableShape, params: SqlParams): string {
  return compileBoolean(filter, (leaf) => compileLeaf(leaf, shape, params), { true: '1', false: '0' });
}

function compileLeaf(leaf: FilterLeaf, shape: TableShape, params: SqlParams): string {
  if (leaf.field.kind === 'column') {
    // Columns hold text and integers as SQLite compares them: bind the value as it is.
    return compileColumnLeaf(leaf as ColumnLeaf, shape, (_, value) => params.bind(value), { true: '1', false: '0' });
  }
  const json = jsonField(leaf.field.document, leaf.field.path, shape, params);
  if (leaf.op === 'exists') return `(${json.type} IS ${leaf.value ? 'NOT ' : ''}NULL)`;
  if (leaf.op === 'in') return jsonIn(json, leaf.values, params);
  if (leaf.op === 'eq') return jsonEq(json, leaf.value, params);
  return jsonRange(json, leaf.op, leaf.value, params);
}

// ---- columns ----

// ---- JSON documents ----

interface JsonField {
  /** json_type(): NULL when the path is missing, else 'null' 'true' 'false' 'integer' 'real' 'text' 'array' 'object'. */
  type: string;
  /** json_extract(): the SQL value; 1/0 for booleans, which is why every test guards on `type` first. */
  value: string;
}

function jsonField(
  document: 'values' | 'claims',
  path: readonly string[],
  shape: TableShape,
  params: SqlParams,
): JsonField {
  const column = resolveDocument(document, shape);
  const placeholder = params.bindPath(quotedJsonPath(path));
  return { type: `json_type(${column}, ${placeholder})`, value: `json_extract(${column}, ${placeholder})` };
}

// IFNULL keeps a missing path from turning the guard (and the whole AND) into NULL.
const isNumber = (json: JsonField) => `IFNULL(${json.type}, '') IN ('integer', 'real')`;
const isText = (json: JsonField) => `${json.type} IS 'text'`;
const isBoolean = (json: JsonField) => `IFNULL(${json.type}, '') IN ('true', 'false')`;
const isNullOrMissing = (json: JsonField) => `IFNULL(${json.type}, 'null') = 'null'`;

function jsonEq(json: JsonField, value: Scalar, params: SqlParams): string {
  if (value === null) return `(${isNullOrMissing(json)})`;
  if (typeof value === 'boolean') return `(${json.type} IS '${value ? 'true' : 'false'}')`;
  if (typeof value === 'string') return `(${isText(json)} AND ${json.value} = ${params.bind(value)})`;
  return `(${isNumber(json)} AND ${json.value} = ${params.bind(value)})`;
}

function jsonRange(json: JsonField, op: 'gt' | 'gte' | 'lt' | 'lte', value: Scalar, params: SqlParams): string {
  const sqlOp = SQL_COMPARE[op];
  if (value === null) return '0';
  if (typeof value === 'boolean') return `(${isBoolean(json)} AND ${json.value} ${sqlOp} ${value ? 1 : 0})`;
  if (typeof value === 'string') return `(${isText(json)} AND ${json.value} ${sqlOp} ${params.bind(value)})`;
  return `(${isNumber(json)} AND ${json.value} ${sqlOp} ${params.bind(value)})`;
}

/** `$in` = OR of `$eq`, grouped by type so each type costs one guard and one IN list. */
function jsonIn(json: JsonField, values: readonly Scalar[], params: SqlParams): string {
  const numbers = values.filter((v) => typeof v === 'number' || typeof v === 'bigint');
  const strings = values.filter((v) => typeof v === 'string');
  const booleans = [...new Set(values.filter((v) => typeof v === 'boolean'))];
  const terms: string[] = [];
  if (values.includes(null)) terms.push(isNullOrMissing(json));
  if (numbers.length > 0) {
    terms.push(`(${isNumber(json)} AND ${json.value} IN (${numbers.map((v) => params.bind(v)).join(', ')}))`);
  }
  if (strings.length > 0) {
    terms.push(`(${isText(json)} AND ${json.value} IN (${strings.map((v) => params.bind(v)).join(', ')}))`);
  }
  if (booleans.length > 0) {
    terms.push(`(IFNULL(${json.type}, '') IN (${booleans.map((b) => (b ? "'true'" : "'false'")).join(', ')}))`);
  }
  return terms.length === 0 ? '0' : `(${terms.join(' OR ')})`;
}

// ---- sort ----

/**
 * An ORDER BY list for `sort`, ending with the tie-breaker (ascending). Without a sort, the tie-breaker
 * alone is the order: key for entities, position for events.
 */
export function compileOrder(sort: SortSpec | null, shape: TableShape, params: SqlParams, tieBreaker: string): string {
  return compileOrderBy(sort, shape, tieBreaker, (field) => {
    const json = jsonField(field.document, field.path, shape, params);
    const rank =
      `CASE IFNULL(${json.type}, 'null') WHEN 'null' THEN 0 WHEN 'integer' THEN 1 WHEN 'real' THEN 1 ` +
      `WHEN 'text' THEN 2 WHEN 'object' THEN 3 WHEN 'array' THEN 4 ELSE 5 END`;
    // Within one rank json_extract yields one SQL type (numbers, text, JSON text, or 0/1 for booleans).
    return [rank, json.value];
  });
}
