import { errors, type JWTVerifyOptions, jwtVerify } from 'jose';
import type { JwtConfig } from '../config/config.js';
import type { JsonObject } from '../core/model.js';
import type { Logger } from '../core/ports/logger.js';
import { AuthenticationError } from './auth-error.js';
import { bearerToken } from './bearer.js';
import { createJwksKeys, JwksUnavailableError } from './jwks.js';

/** Verifies bearer tokens; throws UNAUTHENTICATED StategateErrors that never contain the token. */
export interface Authenticator {
  /** The verified claims of the `Authorization` header's bearer token. */
  authenticate(authorization: string | undefined): Promise<JsonObject>;
  close(): void;
}

/**
 * JWT verification against the remote JWKS of STATEGATE_JWKS_URI (DESIGN.md §5): the token's size is
 * capped before it is parsed; only `config.algorithms` (asymmetric) are accepted, so `alg: none` and an
 * HMAC "signed" with a public key are refused before any key is looked up; the key is found by `kid` in
 * the JWKS only — jose never follows `jku`, `x5u` or an embedded `jwk`; `exp` is required, `exp`/`nbf`
 * are checked with `leewaySeconds`, and `iss`/`aud` when configured.
 */
export function createJwtAuthenticator(config: JwtConfig, logger: Logger): Authenticator {
  const keys = createJwksKeys(config, logger);
  const options: JWTVerifyOptions = {
    algorithms: [...config.algorithms],
    requiredClaims: ['exp'],
    clockTolerance: config.leewaySeconds,
    ...(config.issuer !== undefined ? { issuer: config.issuer } : {}),
    ...(config.audience !== undefined ? { audience: config.audience } : {}),
  };
  return {
    async authenticate(authorization) {
      const token = bearerToken(authorization, config.maxTokenBytes);
      try {
        const { payload } = await jwtVerify(token, keys.getKey, options);
        return payload as JsonObject;
      } catch (err) {
        throw refusal(err, logger);
      }
    },
    close: () => keys.close(),
  };
}

/** What a client is told about a failed verification: the kind of problem, never the token or a claim. */
function refusal(err: unknown, logger: Logger): AuthenticationError {
  const refuse = (message: string) => new AuthenticationError(message, true, { cause: err });
  if (err instanceof JwksUnavailableError) return refuse('signing keys unavailable: retry later');
  if (!(err instanceof errors.JOSEError)) {
    // jose throws TypeError for a key it will not use (e.g. an RSA key under 2048 bits); no token in the log.
    logger.warn({ reason: err instanceof Error ? err.message : String(err) }, 'jwt: verification failed');
    return refuse('token could not be verified');
  }
  switch (err.code) {
    case errors.JWTExpired.code:
      return refuse('token expired');
    case errors.JWTClaimValidationFailed.code:
      return refuse(claimProblem(err as errors.JWTClaimValidationFailed));
    case errors.JWSSignatureVerificationFailed.code:
      return refuse('signature invalid');
    case errors.JWKSNoMatchingKey.code:
      return refuse('unknown signing key');
    case errors.JWKSMultipleMatchingKeys.code:
      return refuse('ambiguous signing key: the token needs a kid');
    case errors.JOSEAlgNotAllowed.code:
      return refuse('signing algorithm not accepted');
    case errors.JOSENotSupported.code:
      return refuse('token uses an unsupported algorithm or header');
    case errors.JWKSTimeout.code:
    case errors.JWKSInvalid.code:
      return refuse('signing keys unavailable: retry later');
    default:
      return refuse('token malformed');
  }
}

function claimProblem(err: errors.JWTClaimValidationFailed): string {
  // No quotes: the message is also the challenge's error_description, where RFC 6750 forbids them.
  if (err.reason === 'missing') return `token has no ${err.claim} claim`;
  switch (err.claim) {
    case 'nbf':
      return err.reason === 'check_failed' ? 'token not yet valid' : 'token nbf claim invalid';
    case 'exp':
      return 'token exp claim invalid';
    case 'iss':
      return 'token issuer not accepted';
    case 'aud':
      return 'token audience not accepted';
    default:
      return `token ${err.claim} claim invalid`;
  }
}
