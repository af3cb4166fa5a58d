import type { CompareOp, FieldRef, Filter, Scalar } from '../../core/filter/ast.js';

/** A filter condition on one field, with negations (`$ne`, `$nin`, `$not`) already taken out. */
export type FilterLeaf =
  | { op: Exclude<CompareOp, 'ne'>; field: FieldRef; value: Scalar }
  | { op: 'in'; field: FieldRef; values: readonly Scalar[] }
  | { op: 'exists'; field: FieldRef; value: boolean };

/**
 * The boolean structure of a filter in SQL, the same for every SQL provider: `and`/`or`, and every
 * negation as a plain `NOT` of the positive leaf. That is only right because each provider's `leaf` never
 * yields NULL (SQL's three-valued logic would otherwise drop rows whose field is missing from `$ne`).
 * `literals` are the dialect's constant true and false, for empty `and`/`or`.
 */
export function compileBoolean(
  filter: Filter,
  leaf: (leaf: FilterLeaf) => string,
  literals: { true: string; false: string },
): string {
  const walk = (f: Filter): string => {
    switch (f.op) {
      case 'and':
        return f.filters.length === 0 ? literals.true : `(${f.filters.map(walk).join(' AND ')})`;
      case 'or':
        return f.filters.length === 0 ? literals.false : `(${f.filters.map(walk).join(' OR ')})`;
      case 'not':
        return `(NOT ${walk(f.filter)})`;
      case 'in':
      case 'nin': {
        const inList = leaf({ op: 'in', field: f.field, values: f.values });
        return f.op === 'in' ? inList : `(NOT ${inList})`;
      }
      case 'exists':
        return leaf(f);
      case 'ne':
        return `(NOT ${leaf({ op: 'eq', field: f.field, value: f.value })})`;
      case 'eq':
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        return leaf({ op: f.op, field: f.field, value: f.value });
    }
  };
  return walk(filter);
}
