import { invalid } from './errors.js';
import type { JsonObject, JsonValue } from './model.js';

const MAX_NAME_LENGTH = 256;
const WHITESPACE = /\s/;
/** Control characters (NUL included) and lone UTF-16 surrogates: no provider stores them faithfully in a name. */
const UNPRINTABLE = /[\p{Cc}\p{Cs}]/u;

/**
 * The proto's `S` rule: non-empty and no whitespace (`^\S+$`). Also bounded, so names stay usable as
 * index keys on every provider.
 */
export function requireName(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(`${field} must not be empty`);
  if (WHITESPACE.test(value)) throw invalid(`${field} must not contain whitespace`);
  if (UNPRINTABLE.test(value)) throw invalid(`${field} must not contain control characters or lone surrogates`);
  if (value.length > MAX_NAME_LENGTH) throw invalid(`${field} is longer than ${MAX_NAME_LENGTH} characters`);
  return value;
}

/** A glob filter of a stream: optional (absent or empty = everything), bounded so matching stays cheap. */
export function optionalGlob(field: string, value: string | undefined, maxLength: number): string {
  if (value === undefined || value === '') return '*';
  if (value.length > maxLength) throw invalid(`${field} glob is longer than ${maxLength} characters`);
  return value;
}

export interface JsonLimits {
  maxDepth: number;
}

/** A required JSON object (a protobuf Struct): not null, not an array, within the depth limit. */
export function requireObject(field: string, value: unknown, limits: JsonLimits): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${field} must be a JSON object`);
  }
  checkJson(field, value, limits.maxDepth);
  return value as JsonObject;
}

/** Any JSON value (a protobuf Value): no undefined, functions, NaN or Infinity; within the depth limit. */
export function requireJsonValue(field: string, value: unknown, limits: JsonLimits): JsonValue {
  if (value === undefined) throw invalid(`${field} is required (any JSON value, null included)`);
  checkJson(field, value, limits.maxDepth);
  return value as JsonValue;
}

function checkJson(field: string, value: unknown, depthLeft: number): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(`${field} contains a number that is not finite`);
    return;
  }
  if (depthLeft <= 0) throw invalid(`${field} is nested too deeply`);
  if (Array.isArray(value)) {
    for (const item of value) checkJson(field, item, depthLeft - 1);
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) checkJson(field, item, depthLeft - 1);
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === null) {
    for (const item of Object.values(value)) checkJson(field, item, depthLeft - 1);
    return;
  }
  throw invalid(`${field} is not JSON`);
}

/** A version precondition: 0 none, -1 must not exist, N > 0. */
export function versionPrecondition(field: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isSafeInteger(value) || value < -1) throw invalid(`${field} must be -1, 0 or a positive version`);
  return value;
}

export function nonNegativeInt(field: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${field} must be a non-negative integer`);
  return value;
}

/** The original contract: limit > 0. Larger than the cap is capped, so a client can ask for "everything". */
export function searchLimit(value: number | undefined, cap: number): number {
  if (value === undefined || !Number.isSafeInteger(value) || value <= 0) {
    throw invalid('limit must be a positive integer');
  }
  return Math.min(value, cap);
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function requireUuidV4(field: string, value: unknown): string {
  if (typeof value !== 'string' || !UUID_V4.test(value)) throw invalid(`${field} must be a uuid v4`);
  return value.toLowerCase();
}
