import { invalid } from '../errors.js';
import type { Column, FieldRef } from './ast.js';

/** What a search runs over: current entities, or the event log. Each names its fields differently. */
export type SearchTarget = 'entities' | 'events';

const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_SEGMENTS = 16;

/** Event fields that are columns, by the names clients use (Mongo-style, as the original stategate). */
const EVENT_COLUMNS: Record<string, Column> = {
  _id: 'id',
  id: 'id',
  method: 'method',
  time: 'time',
  position: 'position',
  'entity.key': 'key',
  'entity.version': 'version',
};

/**
 * Resolves a client's field path. Entities: `_id` is the key, anything else a path inside values.
 * Events: `_id`, `method`, `time`, `position`, `entity.key`, `entity.version`, `entity.values.<path>`,
 * `claims.<path>`. Segments are plain names (letters, digits, `_`, `-`), so a path can never smuggle
 * syntax into a query; anything else is INVALID_ARGUMENT.
 */
export function resolveField(path: string, target: SearchTarget): FieldRef {
  if (target === 'entities') {
    if (path === '_id') return { kind: 'column', column: 'key' };
    return { kind: 'json', document: 'values', path: splitPath(path, path) };
  }
  const column = EVENT_COLUMNS[path];
  if (column) return { kind: 'column', column };
  if (path.startsWith('entity.values.')) {
    return { kind: 'json', document: 'values', path: splitPath(path.slice('entity.values.'.length), path) };
  }
  if (path.startsWith('claims.')) {
    return { kind: 'json', document: 'claims', path: splitPath(path.slice('claims.'.length), path) };
  }
  throw invalid(
    `unknown event field "${clip(path)}": use _id, method, time, position, entity.key, entity.version, entity.values.<path> or claims.<path>`,
  );
}

function splitPath(path: string, original: string): string[] {
  const segments = path.split('.');
  if (segments.length > MAX_SEGMENTS) throw invalid(`field path "${clip(original)}" is deeper than ${MAX_SEGMENTS}`);
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) {
      throw invalid(`malformed field path "${clip(original)}": segments are letters, digits, "_" or "-"`);
    }
  }
  return segments;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
