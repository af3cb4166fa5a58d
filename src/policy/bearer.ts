import { AuthenticationError } from './auth-error.js';

/** `Bearer <b64token>` (RFC 6750 §2.1): the scheme is case-insensitive, the token one b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
/** A JWS in compact serialization: three base64url segments. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * The JWT of an `Authorization` header value, or an AuthenticationError saying in general terms what is
 * wrong with it. The size cap comes first, before any other look at the value, so an oversized header
 * costs nothing more than its length.
 */
export function bearerToken(authorization: string | undefined, maxTokenBytes: number): string {
  if (authorization === undefined || authorization.trim() === '') {
    throw new AuthenticationError('missing bearer token: send Authorization: Bearer <jwt>', false);
  }
  // "Bearer " plus the token; a header this long cannot hold a token within the cap.
  if (authorization.length > maxTokenBytes + 64) throw tooLarge(maxTokenBytes);
  const value = authorization.trim();
  if (!/^Bearer(\s|$)/i.test(value)) {
    throw new AuthenticationError('unsupported authorization scheme: send Authorization: Bearer <jwt>', true);
  }
  const match = BEARER.exec(value);
  if (!match) {
    throw new AuthenticationError(
      value.length <= 'bearer'.length ? 'missing bearer token after Bearer' : 'bearer token malformed',
      true,
    );
  }
  const token = match[1] as string;
  if (Buffer.byteLength(token) > maxTokenBytes) throw tooLarge(maxTokenBytes);
  if (!COMPACT_JWS.test(token)) throw new AuthenticationError('bearer token malformed: not a JWT', true);
  return token;
}

function tooLarge(maxTokenBytes: number): AuthenticationError {
  return new AuthenticationError(`bearer token too large (at most ${maxTokenBytes} bytes)`, true);
}
