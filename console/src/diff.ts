/** A diff of two JSON objects by path: what one version of an entity changed against another. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Change {
  /** Dot path (`a.b`, `list[2]`); `(values)` for the whole object when one side is absent. */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: Json;
  after?: Json;
}

const isObject = (v: Json | undefined): v is { [key: string]: Json } =>
  v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);

function same(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Changes from `before` to `after`, objects compared key by key, arrays and scalars as whole values. */
export function diffJson(before: Json | undefined, after: Json | undefined, path = ''): Change[] {
  if (same(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => diffJson(before[key], after[key], path ? `${path}.${key}` : key));
  }
  const at = path || '(values)';
  if (before === undefined) return [{ path: at, kind: 'added', after }];
  if (after === undefined) return [{ path: at, kind: 'removed', before }];
  return [{ path: at, kind: 'changed', before, after }];
}
