import type { Column } from '../../core/filter/ast.js';

/** How a filter's column values compare: text, integers, or nanosecond times (bigint). */
export type ColumnType = 'text' | 'integer' | 'time';

/** The searchable columns and JSON documents of one table, as the SQL filter compilers see it. */
export interface TableShape {
  columns: Partial<Record<Column, { sql: string; type: ColumnType }>>;
  documents: Partial<Record<'values' | 'claims', string>>;
}

/** The `entities` head table, the same in every SQL provider's schema. */
export const ENTITY_SHAPE: TableShape = {
  columns: {
    key: { sql: 'key', type: 'text' },
    version: { sql: 'version', type: 'integer' },
    time: { sql: 'time', type: 'time' },
  },
  documents: { values: '"values"' },
};

/** The `events` log table, the same in every SQL provider's schema. */
export const EVENT_SHAPE: TableShape = {
  columns: {
    key: { sql: 'key', type: 'text' },
    id: { sql: 'id', type: 'text' },
    method: { sql: 'method', type: 'text' },
    time: { sql: 'time', type: 'time' },
    version: { sql: 'version', type: 'integer' },
    position: { sql: 'position', type: 'integer' },
  },
  documents: { values: '"values"', claims: 'claims' },
};
