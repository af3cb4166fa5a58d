import type { JwtConfig } from '../config/config.js';
import type { JsonObject } from '../core/model.js';
import type { Logger } from '../core/ports/logger.js';

/** Verifies bearer tokens; throws UNAUTHENTICATED StategateErrors that never contain the token. */
export interface Authenticator {
  /** The verified claims of the `Authorization` header's bearer token. */
  authenticate(authorization: string | undefined): Promise<JsonObject>;
  close(): void;
}

/** PLACEHOLDER (being written): JWT verification against a remote JWKS with jose. */
export function createJwtAuthenticator(_config: JwtConfig, _logger: Logger): Authenticator {
  throw new Error('JWT authentication is not built yet');
}
