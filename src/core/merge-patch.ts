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
    // Keys are data, even `__proto__`: read own properties only and define instead of assigning, so such a
    // key is stored like any other instead of swapping the result's prototype.
    else define(result, name, mergePatch(Object.hasOwn(result, name) ? result[name] : undefined, value));
  }
  return result;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function define(object: JsonObject, name: string, value: JsonValue): void {
  Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
}
