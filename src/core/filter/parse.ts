import { invalid } from '../errors.js';
import type { Column, CompareOp, FieldRef, Filter, Scalar, SortSpec } from './ast.js';
import { resolveField, type SearchTarget } from './fields.js';

const MAX_QUERY_CHARS = 16_384;
const MAX_DEPTH = 8;
const MAX_NODES = 256;
const MAX_IN_VALUES = 1_000;

const COMPARE: Record<string, CompareOp> = {
  $eq: 'eq',
  $ne: 'ne',
  $gt: 'gt',
  $gte: 'gte',
  $lt: 'lt',
  $lte: 'lte',
};

/**
 * Parses a search `query_string`: a JSON filter in a safe subset of MongoDB syntax. Operators:
 * $eq $ne $gt $gte $lt $lte $in $nin $exists $and $or $not, nothing else. Empty or `{}` = no filter.
 * Every other `$` operator, bad JSON, a malformed path or an oversized filter is INVALID_ARGUMENT.
 */
export function parseFilter(queryString: string | undefined, target: SearchTarget): Filter | null {
  if (queryString === undefined || queryString.trim() === '') return null;
  if (queryString.length > MAX_QUERY_CHARS) throw invalid(`query_string is longer than ${MAX_QUERY_CHARS} characters`);
  let json: unknown;
  try {
    json = JSON.parse(queryString);
  } catch {
    throw invalid('query_string is not valid JSON');
  }
  const parser = new FilterParser(target);
  const filter = parser.document(json, 0);
  return filter;
}

/** Resolves a sort field; empty = the default order (key for entities, position for events). */
export function parseSort(
  sort: { field: string; reverse: boolean } | undefined,
  target: SearchTarget,
): SortSpec | null {
  if (!sort || sort.field === '') return null;
  return { field: resolveField(sort.field, target), reverse: sort.reverse };
}

class FilterParser {
  private nodes = 0;

  constructor(private readonly target: SearchTarget) {}

  /** A filter document: `{field: condition, $and: [...], $or: [...]}`, all terms must hold. */
  document(json: unknown, depth: number): Filter | null {
    if (!isPlainObject(json)) throw invalid('a filter must be a JSON object');
    if (depth > MAX_DEPTH) throw invalid(`filter is nested deeper than ${MAX_DEPTH}`);
    const terms: Filter[] = [];
    for (const [name, value] of Object.entries(json)) {
      this.count();
      if (name === '$and' || name === '$or') {
        terms.push(this.logical(name, value, depth));
      } else if (name.startsWith('$')) {
        throw invalid(`operator ${clip(name)} is not allowed here; allowed: $and, $or at the top of a filter`);
      } else {
        terms.push(this.condition(resolveField(name, this.target), value, depth));
      }
    }
    if (terms.length === 0) return null;
    return terms.length === 1 ? terms[0]! : { op: 'and', filters: terms };
  }

  private logical(name: '$and' | '$or', value: unknown, depth: number): Filter {
    if (!Array.isArray(value) || value.length === 0) throw invalid(`${name} takes a non-empty array of filters`);
    const filters = value.map((item) => {
      const parsed = this.document(item, depth + 1);
      if (!parsed) throw invalid(`${name} takes non-empty filters`);
      return parsed;
    });
    return { op: name === '$and' ? 'and' : 'or', filters };
  }

  /** `{field: 5}` is equality; `{field: {$gt: 1, $lt: 9}}` all operators must hold. */
  private condition(field: FieldRef, value: unknown, depth: number): Filter {
    if (!isPlainObject(value)) return { op: 'eq', field, value: this.scalar(field, value, '$eq') };
    const entries = Object.entries(value);
    if (entries.length === 0 || !entries.every(([op]) => op.startsWith('$'))) {
      throw invalid('comparing with a JSON object is not supported: use operators on nested paths (a.b)');
    }
    const terms = entries.map(([op, operand]) => this.operator(field, op, operand, depth));
    return terms.length === 1 ? terms[0]! : { op: 'and', filters: terms };
  }

  private operator(field: FieldRef, op: string, operand: unknown, depth: number): Filter {
    this.count();
    const compare = COMPARE[op];
    if (compare) return { op: compare, field, value: this.scalar(field, operand, op) };
    switch (op) {
      case '$in':
      case '$nin': {
        if (!Array.isArray(operand)) throw invalid(`${op} takes an array`);
        if (operand.length > MAX_IN_VALUES) throw invalid(`${op} takes at most ${MAX_IN_VALUES} values`);
        return { op: op === '$in' ? 'in' : 'nin', field, values: operand.map((v) => this.scalar(field, v, op)) };
      }
      case '$exists':
        if (typeof operand !== 'boolean') throw invalid('$exists takes true or false');
        return { op: 'exists', field, value: operand };
      case '$not': {
        if (depth + 1 > MAX_DEPTH) throw invalid(`filter is nested deeper than ${MAX_DEPTH}`);
        if (!isPlainObject(operand)) throw invalid('$not takes an object of operators, e.g. {"$not": {"$gt": 5}}');
        return { op: 'not', filter: this.condition(field, operand, depth + 1) };
      }
      default:
        throw invalid(
          `operator ${clip(op)} is not allowed; allowed: $eq $ne $gt $gte $lt $lte $in $nin $exists $and $or $not`,
        );
    }
  }

  /** A literal, checked against the column's type so providers never compare across types by accident. */
  private scalar(field: FieldRef, value: unknown, op: string): Scalar {
    if (field.kind === 'column') return columnScalar(field.column, value, op);
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    throw invalid(`${op} takes a string, number, boolean or null`);
  }

  private count(): void {
    this.nodes += 1;
    if (this.nodes > MAX_NODES) throw invalid(`filter has more than ${MAX_NODES} terms`);
  }
}

function columnScalar(column: Column, value: unknown, op: string): Scalar {
  switch (column) {
    case 'time':
      // Nanosecond times exceed 2^53, so exact values arrive as decimal strings; numbers are accepted too.
      if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return BigInt(value);
      if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
      throw invalid(`${op} on time takes an integer number of nanoseconds (a decimal string keeps it exact)`);
    case 'version':
    case 'position':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      throw invalid(`${op} on ${column} takes an integer`);
    default:
      if (typeof value === 'string') return value;
      throw invalid(`${op} on ${column} takes a string`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
