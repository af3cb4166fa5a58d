import { invalid } from '../core/errors.js';

/** GraphQL gives `null` for an optional input left out explicitly; core's options want `undefined`. */
export function optional<T>(value: T | null | undefined): T | undefined {
  return value ?? undefined;
}

/**
 * An Int64 input that core holds as a number (versions, positions): exact up to 2^53, which no log here
 * will reach, so anything larger is bad input rather than silently rounded.
 */
export function optionalSafeNumber(field: string, value: bigint | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw invalid(`${field} is out of range`);
  }
  return Number(value);
}
