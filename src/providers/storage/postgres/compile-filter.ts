import type { Filter, Scalar, SortSpec } from '../../../core/filter/ast.js';
import { compileBoolean, type FilterLeaf } from '../sql-boolean.js';
import {
  type ColumnLeaf,
  compileColumnLeaf,
  compileOrderBy,
  PathParams,
  quotedJsonPath,
  resolveDocument,
  SQL_COMPARE,
  type SqlColumn,
} from '../sql-fields.js';
import type { TableShape } from '../sql-tables.js';

/*
 * The filter language in PostgreSQL. The semantics are the cross-provider contract written at the top of
 * ../sqlite/compile-filter.ts (G10); this module only translates them to jsonb:
 *
 * - A JSON field is `jsonb_path_query_first(doc, 'strict $."a"."b"', '{}', true)`: strict mode with
 *   errors silenced, so a path names object keys only (a step into an array or a scalar finds nothing,
 *   never an element, exactly like sqlite's quoted `$."a"."b"`). Missing = SQL NULL, JSON null = jsonb null.
 * - Every comparison is guarded by `jsonb_typeof` inside a CASE, so a cast never sees another JSON type
 *   (PostgreSQL does not promise left-to-right AND evaluation) and no expression is ever SQL NULL: `NOT`
 *   is always the plain negation, as `$ne/$nin/$not` require.
 * - Numbers compare as numeric (exact), strings as text COLLATE "C" (code point order, = UTF-8 byte order),
 *   booleans as boolean (false < true). Text columns are declared COLLATE "C" in the schema.
 * - Sort: by type rank (missing/null, numbers, strings, objects, arrays, booleans), then one key per type.
 *   Objects and arrays order by their jsonb text; jsonb does not keep the written key order or spacing,
 *   so the order AMONG objects (or among arrays) may differ from sqlite's compact written text. Every
 *   other order is identical.
 *
 * Safety: every literal and every JSON path is a bound parameter ($n); path segments are re-checked here.
 */

/** Collects positional parameters ($1, $2, …) while SQL is generated. */
export class PgParams extends PathParams {
  readonly values: unknown[] = [];

  override bind(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** `["a","b"]` → `strict $."a"."b"`. */
export function jsonPath(segments: readonly string[]): string {
  return `strict ${quotedJsonPath(segments)}`;
}

/** Translates a filter into an SQL boolean expression that is never NULL. */
export function compileFilter(filter: Filter, shape: TableShape, params: PgParams): string {
  return compileBoolean(filter, (leaf) => compileLeaf(leaf, shape, params), { true: 'TRUE', false: 'FALSE' });
}

function compileLeaf(leaf: FilterLeaf, shape: TableShape, params: PgParams): string {
  if (leaf.field.kind === 'column') {
    // A bigint binds as decimal text, typed by its cast (an untyped parameter would be refused).
    const bind = (column: SqlColumn, value: string | bigint) =>
      `${params.bind(value.toString())}${column.type === 'text' ? '::text' : '::bigint'}`;
    return compileColumnLeaf(leaf as ColumnLeaf, shape, bind, { true: 'TRUE', false: 'FALSE' });
  }
  // Decided without the field: bind nothing that the SQL would not use (PostgreSQL refuses untyped unused
  // $n), but still refuse a field this search does not have, as sqlite does.
  resolveDocument(leaf.field.document, shape);
  jsonPath(leaf.field.path);
  if (leaf.op === 'in' && leaf.values.length === 0) return 'FALSE';
  if (leaf.op !== 'in' && leaf.op !== 'exists' && leaf.op !== 'eq' && leaf.value === null) return 'FALSE';
  const json = jsonField(leaf.field.document, leaf.field.path, shape, params);
  if (leaf.op === 'exists') return `(${json.value} IS ${leaf.value ? 'NOT ' : ''}NULL)`;
  if (leaf.op === 'in') return jsonIn(json, leaf.values, params);
  if (leaf.op === 'eq') return jsonEq(json, leaf.value, params);
  return jsonRange(json, leaf.op, leaf.value, params);
}

// ---- columns ----

// ---- JSON documents ----

interface JsonField {
  /** The jsonb value at the path; SQL NULL when missing. */
  value: string;
  /** Its JSON type, 'missing' when absent: never NULL. */
  type: string;
}

function jsonField(
  document: 'values' | 'claims',
  path: readonly string[],
  shape: TableShape,
  params: PgParams,
): JsonField {
  const column = resolveDocument(document, shape);
  const placeholder = params.bindPath(jsonPath(path));
  const value = `jsonb_path_query_first(${column}, ${placeholder}::jsonpath, '{}'::jsonb, true)`;
  return { value, type: `COALESCE(jsonb_typeof(${value}), 'missing')` };
}

/** `value op literal`, evaluated only when the field has the JSON type `jsonType`; FALSE otherwise. */
function guarded(json: JsonField, jsonType: string, expression: string): string {
  return `(CASE WHEN ${json.type} = '${jsonType}' THEN ${expression} ELSE FALSE END)`;
}

const asNumber = (json: JsonField) => `(${json.value} #>> '{}')::numeric`;
const asText = (json: JsonField) => `(${json.value} #>> '{}') COLLATE "C"`;
const asBoolean = (json: JsonField) => `(${json.value} #>> '{}')::boolean`;
const isNullOrMissing = (json: JsonField) => `(${json.type} IN ('null', 'missing'))`;

function bindNumber(value: number | bigint, params: PgParams): string {
  return `${params.bind(String(value))}::numeric`;
}

function jsonEq(json: JsonField, value: Scalar, params: PgParams): string {
  if (value === null) return isNullOrMissing(json);
  if (typeof value === 'boolean') return guarded(json, 'boolean', `${asBoolean(json)} = ${value ? 'TRUE' : 'FALSE'}`);
  if (typeof value === 'string') return guarded(json, 'string', `${asText(json)} = ${params.bind(value)}::text`);
  return guarded(json, 'number', `${asNumber(json)} = ${bindNumber(value, params)}`);
}

function jsonRange(json: JsonField, op: 'gt' | 'gte' | 'lt' | 'lte', value: Scalar, params: PgParams): string {
  const sqlOp = SQL_COMPARE[op];
  if (value === null) return 'FALSE';
  if (typeof value === 'boolean')
    return guarded(json, 'boolean', `${asBoolean(json)} ${sqlOp} ${value ? 'TRUE' : 'FALSE'}`);
  if (typeof value === 'string') return guarded(json, 'string', `${asText(json)} ${sqlOp} ${params.bind(value)}::text`);
  return guarded(json, 'number', `${asNumber(json)} ${sqlOp} ${bindNumber(value, params)}`);
}

/** `$in` = OR of `$eq`, grouped by type. */
function jsonIn(json: JsonField, values: readonly Scalar[], params: PgParams): string {
  const numbers = values.filter((v) => typeof v === 'number' || typeof v === 'bigint');
  const strings = values.filter((v) => typeof v === 'string');
  const booleans = [...new Set(values.filter((v) => typeof v === 'boolean'))];
  const terms: string[] = [];
  if (values.includes(null)) terms.push(isNullOrMissing(json));
  if (numbers.length > 0) {
    terms.push(
      guarded(json, 'number', `${asNumber(json)} IN (${numbers.map((v) => bindNumber(v, params)).join(', ')})`),
    );
  }
  if (strings.length > 0) {
    terms.push(
      guarded(json, 'string', `${asText(json)} IN (${strings.map((v) => `${params.bind(v)}::text`).join(', ')})`),
    );
  }
  if (booleans.length > 0) {
    terms.push(
      guarded(json, 'boolean', `${asBoolean(json)} IN (${booleans.map((b) => (b ? 'TRUE' : 'FALSE')).join(', ')})`),
    );
  }
  return terms.length === 0 ? 'FALSE' : `(${terms.join(' OR ')})`;
}

// ---- sort ----

/** An ORDER BY list for `sort`, ending with the tie-breaker (ascending). */
export function compileOrder(sort: SortSpec | null, shape: TableShape, params: PgParams, tieBreaker: string): string {
  return compileOrderBy(sort, shape, tieBreaker, (field) => {
    const json = jsonField(field.document, field.path, shape, params);
    const rank =
      `CASE ${json.type} WHEN 'missing' THEN 0 WHEN 'null' THEN 0 WHEN 'number' THEN 1 WHEN 'string' THEN 2 ` +
      `WHEN 'object' THEN 3 WHEN 'array' THEN 4 ELSE 5 END`;
    // One key per type; within a rank every other key is NULL for all rows, so it does not reorder them.
    return [
      rank,
      `CASE WHEN ${json.type} = 'number' THEN ${asNumber(json)} END`,
      `CASE WHEN ${json.type} = 'string' THEN ${asText(json)} END`,
      `CASE WHEN ${json.type} IN ('object', 'array') THEN ${json.value}::text COLLATE "C" END`,
      `CASE WHEN ${json.type} = 'boolean' THEN ${asBoolean(json)} END`,
    ];
  });
}
