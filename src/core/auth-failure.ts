import type { AuthFailureReason } from './ports/metrics.js';

/**
 * The metric reason of a refused credential, read from the refusal's message (src/policy words them, and
 * they are stable because clients see them too). A closed set, so the label stays low-cardinality; a
 * message this table does not know counts as `invalid`.
 */
const REASONS: ReadonlyArray<[RegExp, AuthFailureReason]> = [
  [/^missing bearer token/, 'missing'],
  [/too large/, 'too_large'],
  [/^token expired/, 'expired'],
  [/^signature invalid/, 'invalid_signature'],
  [/signing key(?!s)/, 'unknown_key'],
  [/^signing keys unavailable/, 'jwks_unavailable'],
  [/claim|not yet valid|issuer|audience/, 'claims'],
  [/malformed|unsupported/, 'malformed'],
];

export function authFailureReason(err: unknown): AuthFailureReason {
  const message = err instanceof Error ? err.message : '';
  for (const [pattern, reason] of REASONS) if (pattern.test(message)) return reason;
  return 'invalid';
}
