import { StategateError } from '../core/errors.js';

/** The realm of every `WWW-Authenticate` challenge stategate sends. */
export const AUTH_REALM = 'stategate';

/**
 * A refused credential: UNAUTHENTICATED, with a message that says what is wrong in general terms and never
 * contains the token or its claims. `tokenPresented` tells HTTP transports which challenge to send
 * (RFC 6750 §3.1: no error code when the request carried no credentials at all).
 */
export class AuthenticationError extends StategateError {
  constructor(
    message: string,
    readonly tokenPresented: boolean,
    options?: { cause?: unknown },
  ) {
    super('UNAUTHENTICATED', message, options);
  }
}

/**
 * The `WWW-Authenticate` value of an UNAUTHENTICATED answer: `Bearer realm="stategate"`, plus
 * `error="invalid_token"` and a description when credentials were presented and refused. Read by
 * property, not `instanceof`, so an error from a second copy of this module (a test runner's registry) works.
 */
export function bearerChallenge(err: unknown): string {
  const presented = (err as { tokenPresented?: unknown } | null)?.tokenPresented !== false;
  if (!presented) return `Bearer realm="${AUTH_REALM}"`;
  const message = err instanceof Error ? err.message : '';
  // RFC 6750 §3: error_description excludes `"` and `\` (and anything outside printable ASCII).
  const description = message.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '');
  return description === ''
    ? `Bearer realm="${AUTH_REALM}", error="invalid_token"`
    : `Bearer realm="${AUTH_REALM}", error="invalid_token", error_description="${description}"`;
}
