import type { PolicyInput } from '../core/ports/access.js';

/**
 * The JSON text a policy evaluates, from the input core builds (the same on every transport). Core's values
 * are not all JSON: nanosecond times are `bigint` (written as decimal strings, as every transport writes
 * 64-bit integers on the wire, so no precision is lost), `Date`s (cache and mutex expiries) become RFC 3339
 * strings, and bytes become base64, as in protobuf's JSON mapping. `undefined` fields are left out.
 *
 * The raw `authorization` header is left out of `metadata`: a policy decides on the verified `claims`, and a
 * credential has no business being copied into policy memory (or a policy's error message).
 */
export function policyInputJson(input: PolicyInput & { response?: unknown }): string {
  const { authorization: _credential, ...metadata } = input.metadata;
  return JSON.stringify({ ...input, metadata }, toJsonValue);
}

/** A JSON.stringify replacer; `this[key]` is the value before its `toJSON` (a Buffer's would be a byte list). */
function toJsonValue(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
  if (typeof value === 'bigint') return value.toString();
  return value;
}
