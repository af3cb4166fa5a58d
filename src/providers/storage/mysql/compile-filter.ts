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
  type SqlColumn,
} from '../sql-fields.js';
import type { TableShape } from '../sql-tables.js';

/*
 * The filter language in MariaDB. The semantics are the cross-provider contract written at the top of
 * ../sqlite/compile-filter.ts (G10); this module only translates them to MariaDB's JSON functions:
 *
 * - A JSON field is `JSON_EXTRACT(doc, '$."a"."b"')`: quoted labels name object keys only; a step into an
 *   array or a scalar finds nothing (SQL NULL), exactly like sqlite. Its JSON type is JSON_TYPE of that,
 *   'MISSING' when absent ('NULL' is a JSON null), so no expression below is ever SQL NULL and `NOT` is
 *   always the plain negation, as `$ne/$nin/$not` require.
 * - Every comparison sits in a CASE on that type, so a cast never sees another JSON type.
 * - Numbers compare as DOUBLE: every stored number and every literal came from a JavaScript number, so both
 *   sides are exact doubles (as on sqlite, which compares its integers and reals exactly).
 * - Strings compare under utf8mb4_nopad_bin: by code point (= UTF-8 byte order, sqlite's memcmp) and without
 *   the trailing-space padding of utf8mb4_bin. Booleans as 0/1 (false < true).
 * - Name columns are VARBINARY (byte order); integer columns BIGINT, their literals cast from decimal text.
 * - Sort: by type rank (missing/null, numbers, strings, objects, arrays, booleans), then one key per type.
 *   Objects and arrays order by JSON_COMPACT text, which is the compact text stategate wrote, as sqlite's
 *   json_extract returns it: the order among objects (and among arrays) matches sqlite too.
 *
 * Safety: every literal and every JSON path is a bound (named) parameter; path segments are re-checked here.
 */

/** The collation every JSON string comparison uses (see above). */
const STRING_COLLATION = 'utf8mb4_nopad_bin';

/** What this module binds: text (names, strings, decimal integers, paths) or a double. */
export type SqlValue = string | number;

/** Collects named parameters (`:p0`, `:p1`, …): a fragment may then reuse one, e.g. a JSON path. */
export class MysqlParams extends NamedParams<SqlValue> {
  constructor() {
    super(':');
  }
}

/** Translates a filter into an SQL boolean expression that is never NULL. */
export function compileFilter(filter: Filter, shape: TableShape, params: MysqlParams): string {
  return compileBoolean(filter, (leaf) => compileLeaf(leaf, shape, params), { true: 'TRUE', false: 'FALSE' });
}

function compileLeaf(leaf: FilterLeaf, shape: TableShape, params: MysqlParams): string {
  if (leaf.field.kind === 'column') {
    return compileColumnLeaf(leaf as ColumnLeaf, shape, (column, value) => bindForColumn(column, value, params), {
      true: 'TRUE',
      false: 'FALSE',
    });
  }
  const json = jsonField(leaf.field.document, leaf.field.path, shape, params);
  if (leaf.op === 'exists') return `(${json.value} IS ${leaf.value ? 'NOT ' : ''}NULL)`;
  if (leaf.op === 'in') return jsonIn(json, leaf.values, params);
  if (leaf.op === 'eq') return jsonEq(json, leaf.value, params);
  return jsonRange(json, leaf.op, leaf.value, params);
}

// ---- columns ----

/** A column's literal as SQL: text as bytes (name columns are VARBINARY), integers as BIGINT. */
function bindForColumn(column: SqlColumn, value: string | bigint, params: MysqlParams): string {
  // Decimal text cast to BIGINT: exact for nanosecond times beyond 2^53.
  if (column.type !== 'text') return `CAST(${params.bind(value.toString())} AS SIGNED)`;
  return `CAST(${params.bind(value as string)} AS BINARY)`;
}

// ---- JSON documents ----

interface JsonField {
  /** The JSON text at the path; SQL NULL when missing. */
  value: string;
  /** Its JSON_TYPE ('INTEGER', 'DOUBLE', 'STRING', 'BOOLEAN', 'NULL', 'OBJECT', 'ARRAY'), 'MISSING' when absent. */
  type: string;
}

function jsonField(
  document: 'values' | 'claims',
  path: readonly string[],
  shape: TableShape,
  params: MysqlParams,
): JsonField {
  const column = resolveDocument(document, shape);
  const value = `JSON_EXTRACT(${column}, ${params.bindPath(quotedJsonPath(path))})`;
  return { value, type: `COALESCE(JSON_TYPE(${value}), 'MISSING')` };
}

type JsonKind = 'number' | 'string' | 'boolean';

const TYPES_OF: Record<JsonKind, string> = {
  number: "'INTEGER', 'DOUBLE'",
  string: "'STRING'",
  boolean: "'BOOLEAN'",
};

/** `expression`, evaluated only when the field holds a JSON value of `kind`; FALSE otherwise. */
function guarded(json: JsonField, kind: JsonKind, expression: string): string {
  return `(CASE WHEN ${json.type} IN (${TYPES_OF[kind]}) THEN ${expression} ELSE FALSE END)`;
}

const asNumber = (json: JsonField) => `CAST(${json.value} AS DOUBLE)`;
const asText = (json: JsonField) => `JSON_UNQUOTE(${json.value}) COLLATE ${STRING_COLLATION}`;
/** 1 for true, 0 for false. */
const asBoolean = (json: JsonField) => `(${json.value} = 'true')`;
const isNullOrMissing = (json: JsonField) => `(${json.type} IN ('NULL', 'MISSING'))`;

/** A number literal as DOUBLE: a JS number binds as an 8-byte double; a bigint as decimal text. */
const bindNumber = (value: number | bigint, params: MysqlParams) =>
  `CAST(${params.bind(typeof value === 'bigint' ? value.toString() : value)} AS DOUBLE)`;
const bindText = (value: string, params: MysqlParams) =>
  `CONVERT(${params.bind(value)} USING utf8mb4) COLLATE ${STRING_COLLATION}`;

/** The kind of a non-null literal. */
function kindOf(value: Exclude<Scalar, null>): JsonKind {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  return 'number';
}

/** `field op literal` for a non-null literal, typed by the literal's kind. */
function compareTyped(json: JsonField, sqlOp: string, value: Exclude<Scalar, null>, params: MysqlParams): string {
  if (typeof value === 'boolean') return guarded(json, 'boolean', `${asBoolean(json)} ${sqlOp} ${value ? 1 : 0}`);
  if (typeof value === 'string') return guarded(json, 'string', `${asText(json)} ${sqlOp} ${bindText(value, params)}`);
  return guarded(json, 'number', `${asNumber(json)} ${sqlOp} ${bindNumber(value, params)}`);
}

function jsonEq(json: JsonField, value: Scalar, params: MysqlParams): string {
  if (value === null) return isNullOrMissing(json);
  return compareTyped(json, '=', value, params);
}

function jsonRange(json: JsonField, op: 'gt' | 'gte' | 'lt' | 'lte', value: Scalar, params: MysqlParams): string {
  if (value === null) return 'FALSE';
  return compareTyped(json, SQL_COMPARE[op], value, params);
}

/** `$in` = OR of `$eq`, grouped by type so each type costs one guard and one IN list. */
function jsonIn(json: JsonField, values: readonly Scalar[], params: MysqlParams): string {
  const terms: string[] = [];
  if (values.includes(null)) terms.push(isNullOrMissing(json));
  const ofKind = (kind: JsonKind) => [...new Set(values.filter((v) => v !== null && kindOf(v) === kind))];
  const numbers = ofKind('number') as (number | bigint)[];
  const strings = ofKind('string') as string[];
  const booleans = ofKind('boolean') as boolean[];
  if (numbers.length > 0) {
    terms.push(
      guarded(json, 'number', `${asNumber(json)} IN (${numbers.map((v) => bindNumber(v, params)).join(', ')})`),
    );
  }
  if (strings.length > 0) {
    terms.push(guarded(json, 'string', `${asText(json)} IN (${strings.map((v) => bindText(v, params)).join(', ')})`));
  }
  if (booleans.length > 0) {
    terms.push(guarded(json, 'boolean', `${asBoolean(json)} IN (${booleans.map((b) => (b ? 1 : 0)).join(', ')})`));
  }
  return terms.length === 0 ? 'FALSE' : `(${terms.join(' OR ')})`;
}

// ---- sort ----

/** An ORDER BY list for `sort`, ending with the tie-breaker (ascending). */
export function compileOrder(
  sort: SortSpec | null,
  shape: TableShape,
  params: MysqlParams,
  tieBreaker: string,
): string {
  return compileOrderBy(sort, shape, tieBreaker, (field) => {
    const json = jsonField(field.document, field.path, shape, params);
    const rank =
      `CASE ${json.type} WHEN 'MISSING' THEN 0 WHEN 'NULL' THEN 0 WHEN 'INTEGER' THEN 1 WHEN 'DOUBLE' THEN 1 ` +
      `WHEN 'STRING' THEN 2 WHEN 'OBJECT' THEN 3 WHEN 'ARRAY' THEN 4 ELSE 5 END`;
    // One key per type; within a rank every other key is NULL for all rows, so it does not reorder them.
    return [
      rank,
      `CASE WHEN ${json.type} IN (${TYPES_OF.number}) THEN ${asNumber(json)} END`,
      `CASE WHEN ${json.type} IN (${TYPES_OF.string}) THEN ${asText(json)} END`,
      `CASE WHEN ${json.type} IN ('OBJECT', 'ARRAY') THEN JSON_COMPACT(${json.value}) COLLATE ${STRING_COLLATION} END`,
      `CASE WHEN ${json.type} IN (${TYPES_OF.boolean}) THEN ${asBoolean(json)} END`,
    ];
  });
}
