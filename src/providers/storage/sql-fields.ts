import { invalid } from '../../core/errors.js';
import type { Column, CompareOp, FieldRef, Scalar, SortSpec } from '../../core/filter/ast.js';
import type { FilterLeaf } from './sql-boolean.js';
import type { ColumnType, TableShape } from './sql-tables.js';

/*
 * What the SQL filter compilers (sqlite, postgres, mysql) share beyond the boolean structure
 * (sql-boolean.ts): resolving a field against a table's shape, checking a JSON path, collecting parameters,
 * and the frame of an ORDER BY. How a JSON value is read, typed and compared stays in each dialect's module.
 */

export const SQL_COMPARE: Record<Exclude<CompareOp, 'ne'>, string> = {
  eq: '=',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
};

/** A searchable column of a table: its SQL and how its values compare. */
export interface SqlColumn {
  sql: string;
  type: ColumnType;
}

export function resolveColumn(column: Column, shape: TableShape): SqlColumn {
  const found = shape.columns[column];
  if (!found) throw invalid(`field ${column} cannot be used in this search`);
  return found;
}

/**
 * A literal as a column of this type holds it (text, or an integer as bigint), or undefined when its type
 * cannot match the column: a comparison with it matches nothing (and its negation everything).
 */
export function columnValue(column: SqlColumn, value: Scalar): string | bigint | undefined {
  switch (column.type) {
    case 'text':
      return typeof value === 'string' ? value : undefined;
    case 'integer':
    case 'time':
      if (typeof value === 'bigint') return value;
      return typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : undefined;
  }
}

/** A filter condition on a column (`key`, `version`, `time`, …) rather than inside a JSON document. */
export type ColumnLeaf = FilterLeaf & { field: { kind: 'column' } };

/**
 * A condition on a column as SQL. `bind` binds a value from columnValue as the dialect compares it with
 * that column and returns its SQL; only values that can match are bound. `literals` are the dialect's
 * constant true and false. Never NULL, like every leaf (see sql-boolean.ts).
 */
export function compileColumnLeaf(
  leaf: ColumnLeaf,
  shape: TableShape,
  bind: (column: SqlColumn, value: string | bigint) => string,
  literals: { true: string; false: string },
): string {
  const column = resolveColumn(leaf.field.column, shape);
  if (leaf.op === 'exists') return leaf.value ? literals.true : literals.false;
  if (leaf.op === 'in') {
    const values = leaf.values.map((v) => columnValue(column, v)).filter((v) => v !== undefined);
    if (values.length === 0) return literals.false;
    return `(${column.sql} IN (${values.map((v) => bind(column, v)).join(', ')}))`;
  }
  const value = columnValue(column, leaf.value);
  if (value === undefined) return literals.false;
  return `(${column.sql} ${SQL_COMPARE[leaf.op]} ${bind(column, value)})`;
}

/** The SQL column holding a JSON document (`values`, `claims`) of this table. */
export function resolveDocument(document: 'values' | 'claims', shape: TableShape): string {
  const column = shape.documents[document];
  if (!column) throw invalid(`${document} cannot be used in this search`);
  return column;
}

const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * `["a","b"]` → `$."a"."b"`: quoted labels, so a segment like `0` or `a-b` is an object key, never an
 * array index. Segments are re-checked although the parser already restricts them, so no compiler ever
 * writes client text into a path.
 */
export function quotedJsonPath(segments: readonly string[]): string {
  if (segments.length === 0) throw invalid('empty field path');
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) throw invalid('malformed field path');
  }
  return `$${segments.map((segment) => `."${segment}"`).join('')}`;
}

/** Collects parameters while SQL is generated; a JSON path used several times is bound once. */
export abstract class PathParams {
  private readonly paths = new Map<string, string>();

  /** Binds a value; returns its placeholder. */
  abstract bind(value: string): string;

  /** Binds a JSON path once however often it is used. */
  bindPath(path: string): string {
    let placeholder = this.paths.get(path);
    if (!placeholder) {
      placeholder = this.bind(path);
      this.paths.set(path, placeholder);
    }
    return placeholder;
  }
}

/**
 * Named parameters (`@p0`, `:p1`, …). Named, not positional, so a fragment may reuse one parameter and
 * the order in which fragments are built cannot misalign values.
 */
export class NamedParams<Value> extends PathParams {
  readonly values: Record<string, Value> = {};
  private count = 0;

  constructor(private readonly prefix: string) {
    super();
  }

  override bind(value: Value | string): string {
    const name = `p${this.count++}`;
    this.values[name] = value as Value;
    return `${this.prefix}${name}`;
  }
}

/** A field inside a JSON document (`values`, `claims`): which document, and the path inside it. */
export type JsonFieldRef = Extract<FieldRef, { kind: 'json' }>;

/**
 * An ORDER BY list for `sort`, ending with the tie-breaker (ascending): key for entities, position for
 * events, alone when there is no sort. `jsonKeys` gives the dialect's sort keys for a JSON field (type
 * rank first); each is sorted in the requested direction, the tie-breaker always ascending so a page
 * boundary never depends on the direction.
 */
export function compileOrderBy(
  sort: SortSpec | null,
  shape: TableShape,
  tieBreaker: string,
  jsonKeys: (field: JsonFieldRef) => readonly string[],
): string {
  if (!sort) return `${tieBreaker} ASC`;
  const direction = sort.reverse ? 'DESC' : 'ASC';
  const field = sort.field;
  const keys = field.kind === 'column' ? [resolveColumn(field.column, shape).sql] : jsonKeys(field);
  return `${keys.map((key) => `${key} ${direction}`).join(', ')}, ${tieBreaker} ASC`;
}
