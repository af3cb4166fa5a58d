import { invalid } from '../../../core/errors.js';
import type { Column, CompareOp, FieldRef, Filter, Scalar, SortSpec } from '../../../core/filter/ast.js';
import type { JsonObject, JsonValue } from '../../../core/model.js';

/*
 * The filter and sort semantics of the sqlite compiler (providers/storage/sqlite/compile-filter.ts, the
 * cross-provider contract, G10), evaluated in JavaScript. MongoDB's own matching differs from it in ways
 * that matter (array elements match, `$gt: null`, cross-type brackets, `$ne` on arrays), and FerretDB
 * evaluates every filter in its own process anyway, so this provider narrows candidates with exact column
 * conditions (search.ts) and decides every filter here. In short:
 * - a JSON path names object keys only (never array elements); a comparison matches only values of the
 *   literal's JSON type (numbers numerically, strings by code point, false < true);
 * - `$eq null` = missing or null; ranges with null match nothing; `$exists` = the path is present;
 * - `$ne`, `$nin`, `$not` are plain negations (they match missing fields);
 * - columns compare with literals of their own type only.
 * Sort by a JSON field: missing/null, numbers, strings, objects, arrays (by compact JSON text), booleans;
 * ties by key (entities) or position (events) ascending; `reverse` flips only the field's order.
 */

/** What a filter or sort reads from one stored entity or event. */
export interface Searchable {
  columns: Partial<Record<Column, string | number | bigint>>;
  documents: Partial<Record<'values' | 'claims', JsonObject>>;
}

export function matches(filter: Filter, item: Searchable): boolean {
  switch (filter.op) {
    case 'and':
      return filter.filters.every((f) => matches(f, item));
    case 'or':
      return filter.filters.some((f) => matches(f, item));
    case 'not':
      return !matches(filter.filter, item);
    case 'nin':
      return !matchesIn(filter.field, filter.values, item);
    case 'in':
      return matchesIn(filter.field, filter.values, item);
    case 'ne':
      return !matchesCompare('eq', filter.field, filter.value, item);
    case 'exists':
      if (filter.field.kind === 'column') return filter.value;
      return (lookup(filter.field, item) !== MISSING) === filter.value;
    default:
      return matchesCompare(filter.op, filter.field, filter.value, item);
  }
}

const MISSING = Symbol('missing');
type Found = JsonValue | typeof MISSING;

/** The value at a JSON path, walking object keys only; MISSING when any step is absent or not an object. */
function lookup(field: Extract<FieldRef, { kind: 'json' }>, item: Searchable): Found {
  let current: JsonValue | undefined = item.documents[field.document];
  if (current === undefined) throw invalid(`${field.document} cannot be used in this search`);
  for (const segment of field.path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return MISSING;
    if (!Object.hasOwn(current, segment)) return MISSING;
    current = (current as JsonObject)[segment];
  }
  return current as JsonValue;
}

function column(name: Column, item: Searchable): string | number | bigint {
  const value = item.columns[name];
  if (value === undefined) throw invalid(`field ${name} cannot be used in this search`);
  return value;
}

function matchesCompare(op: Exclude<CompareOp, 'ne'>, field: FieldRef, literal: Scalar, item: Searchable): boolean {
  if (field.kind === 'column') {
    const stored = column(field.column, item);
    const comparable = columnLiteral(stored, literal);
    if (comparable === undefined) return false;
    return holds(op, compareScalars(stored, comparable));
  }
  const found = lookup(field, item);
  if (literal === null) return op === 'eq' && (found === MISSING || found === null);
  if (!sameJsonType(found, literal)) return false;
  return holds(op, compareScalars(found as string | number | boolean, literal));
}

function matchesIn(field: FieldRef, literals: readonly Scalar[], item: Searchable): boolean {
  return literals.some((literal) => matchesCompare('eq', field, literal, item));
}

/** The literal in the column's own type, or undefined when it cannot match (then the leaf is false). */
function columnLiteral(stored: string | number | bigint, literal: Scalar): string | number | bigint | undefined {
  if (typeof stored === 'string') return typeof literal === 'string' ? literal : undefined;
  if (typeof literal === 'bigint') return literal;
  return typeof literal === 'number' && Number.isSafeInteger(literal) ? literal : undefined;
}

/** True when a stored JSON value has the JSON type of a non-null literal. */
function sameJsonType(found: Found, literal: Exclude<Scalar, null>): boolean {
  if (typeof literal === 'bigint') return typeof found === 'number';
  return typeof found === typeof literal;
}

function holds(op: Exclude<CompareOp, 'ne'>, order: number): boolean {
  switch (op) {
    case 'eq':
      return order === 0;
    case 'gt':
      return order > 0;
    case 'gte':
      return order >= 0;
    case 'lt':
      return order < 0;
    case 'lte':
      return order <= 0;
  }
}

/** Orders two values of one type: numbers and bigints numerically, strings by code point, false < true. */
function compareScalars(a: string | number | bigint | boolean, b: string | number | bigint | boolean): number {
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const [x, y] = [toBig(a as number | bigint), toBig(b as number | bigint)];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const [x, y] = [a as number, b as number];
  return x < y ? -1 : x > y ? 1 : 0;
}

function toBig(value: number | bigint): bigint {
  return typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
}

/**
 * Code point order (what SQLite's BINARY collation gives for UTF-8 text). JavaScript's `<` compares UTF-16
 * code units, which puts characters above U+FFFF (surrogate pairs) before U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return (a.codePointAt(i) ?? x) - (b.codePointAt(i) ?? y);
  }
  return a.length - b.length;
}

// ---- sort ----

/** Sort rank of a JSON value, as the sqlite compiler's CASE on json_type. */
function rank(value: Found): number {
  if (value === MISSING || value === null) return 0;
  switch (typeof value) {
    case 'number':
      return 1;
    case 'string':
      return 2;
    case 'boolean':
      return 5;
    default:
      return Array.isArray(value) ? 4 : 3;
  }
}

/** Orders two values of one rank: numbers, code points, compact JSON text, or false < true. */
function compareWithinRank(r: number, a: Found, b: Found): number {
  switch (r) {
    case 0:
      return 0;
    case 3:
    case 4:
      return compareCodePoints(JSON.stringify(a), JSON.stringify(b));
    default:
      return compareScalars(a as string | number | boolean, b as string | number | boolean);
  }
}

/**
 * A comparator for `sort`, ending with the tie-breaker column ascending (key for entities, position for
 * events); without a sort, the tie-breaker alone.
 */
export function comparator(sort: SortSpec | null, tieBreaker: Column): (a: Searchable, b: Searchable) => number {
  const tie = (a: Searchable, b: Searchable) => compareScalars(column(tieBreaker, a), column(tieBreaker, b));
  if (!sort) return tie;
  const direction = sort.reverse ? -1 : 1;
  const field = sort.field;
  if (field.kind === 'column') {
    return (a, b) => direction * compareScalars(column(field.column, a), column(field.column, b)) || tie(a, b);
  }
  return (a, b) => {
    const x = lookup(field, a);
    const y = lookup(field, b);
    const [rx, ry] = [rank(x), rank(y)];
    if (rx !== ry) return direction * (rx - ry);
    return direction * compareWithinRank(rx, x, y) || tie(a, b);
  };
}
