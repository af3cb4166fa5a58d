import { readFileSync } from 'node:fs';
import { UsageError } from './errors.js';

/** A JSON command-line argument; `-` reads it from standard input. `what` names it in the error. */
export function jsonArgument(raw: string, what: string): unknown {
  const text = raw === '-' ? readFileSync(0, 'utf8') : raw;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} must be JSON (${(err as Error).message}), e.g. '{"name":"Ada"}'`);
  }
}

/** A JSON object argument (entity values, a merge patch). */
export function jsonObjectArgument(raw: string, what: string): Record<string, unknown> {
  const value = jsonArgument(raw, what);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${what} must be a JSON object, e.g. '{"name":"Ada"}'`);
  }
  return value as Record<string, unknown>;
}
