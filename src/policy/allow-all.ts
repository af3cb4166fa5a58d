import type { AccessPolicy } from '../core/ports/access.js';

/**
 * The access policy while authentication is off: every caller has empty claims and every request and
 * response is allowed. The server only runs with it on loopback (protected mode) or when
 * STATEGATE_AUTH_DISABLED=true says so explicitly.
 */
export function createAllowAllPolicy(): AccessPolicy {
  return {
    authenticate: async () => ({}),
    allowRequest: async () => true,
    allowResponse: async () => true,
  };
}
