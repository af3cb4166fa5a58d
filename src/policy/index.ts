import type { Config } from '../config/config.js';
import type { AccessPolicy } from '../core/ports/access.js';
import type { Logger } from '../core/ports/logger.js';
import { createJwtAuthenticator } from './jwt.js';
import { loadPolicy, type PolicyDecider } from './opa.js';

/** The access policy of a running server, and what it holds open (JWKS cache, policy workers). */
export interface ServerAccessPolicy extends AccessPolicy {
  close(): Promise<void>;
}

/**
 * Builds the access policy the configuration asks for: JWT verification when a JWKS is configured (else
 * empty claims: protected mode on loopback, or STATEGATE_AUTH_DISABLED), and the request and response
 * policies when configured (else the seed's default, `default allow = true`). Fails at start, naming the
 * variable, when a policy cannot be compiled or loaded.
 */
export async function createAccessPolicy(config: Config, logger: Logger): Promise<ServerAccessPolicy> {
  const authenticator = config.jwt ? createJwtAuthenticator(config.jwt, logger) : null;
  const options = { opaPath: config.policies.opaPath, timeoutMs: config.policies.timeoutMs, logger };
  const request: PolicyDecider | null = config.policies.request
    ? await loadPolicy(config.policies.request, options)
    : null;
  const response: PolicyDecider | null = config.policies.response
    ? await loadPolicy(config.policies.response, options).catch(async (err: unknown) => {
        await request?.close();
        throw err;
      })
    : null;
  return {
    authenticate: async (ctx) => (authenticator ? authenticator.authenticate(ctx.authorization) : {}),
    allowRequest: async (input) => (request ? request.allow(input) : true),
    allowResponse: async (input) => (response ? response.allow(input) : true),
    async close() {
      authenticator?.close();
      await Promise.all([request?.close(), response?.close()]);
    },
  };
}
