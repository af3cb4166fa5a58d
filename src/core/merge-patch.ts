import type { JsonObject, JsonValue } from './model.js';

/**
 * JSON Merge Patch, RFC 7386: objects merge recursively, `null` removes a key, anything else
 * (arrays included) replaces. Returns a new value; neither input is mutated.
 */
export function mergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return patch;
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete result[name];
    else result[name] = mergePatch(result[name], value);
  }
  return result;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
