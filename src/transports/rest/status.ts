import { Code, type CodeName, isStategateError, StategateError } from '../../core/errors.js';
import type { Logger } from '../../core/ports/logger.js';
import { bearerChallenge } from '../../policy/auth-error.js';

/** The HTTP status of each gRPC code: the mapping google.rpc.Code documents (and grpc-gateway uses). */
export const httpStatusOf: Readonly<Record<CodeName, number>> = {
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
};

/** The error body of every REST answer that is not a success: a google.rpc.Status in JSON. */
export interface StatusBody {
  code: number;
  message: string;
  details: unknown[];
}

/** A REST error: a core code plus, where HTTP has a more precise status for it (413, 415, 405), that status. */
export class RestError extends StategateError {
  constructor(
    code: CodeName,
    message: string,
    readonly httpStatus: number = httpStatusOf[code],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(code, message);
  }
}

/**
 * The headers an error answer carries besides its body: a RestError's own (e.g. `Allow`), the bearer
 * challenge of UNAUTHENTICATED (RFC 6750), and `Retry-After` in whole seconds, rounded up, when core
 * says when to retry (rate limit, overload).
 */
function errorHeaders(err: StategateError): Readonly<Record<string, string>> {
  const headers: Record<string, string> = err instanceof RestError ? { ...err.headers } : {};
  if (err.code === 'UNAUTHENTICATED') headers['www-authenticate'] = bearerChallenge(err);
  if (err.retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(0, Math.ceil(err.retryAfterMs / 1000)));
  return headers;
}

/** What a client is told about `err`: its status and body. Anything but a coded error is masked and logged whole. */
export function errorAnswer(
  err: unknown,
  logger: Logger,
  where: string,
): { status: number; body: StatusBody; headers: Readonly<Record<string, string>> } {
  if (isStategateError(err) && err.code !== 'INTERNAL') {
    const status = err instanceof RestError ? err.httpStatus : httpStatusOf[err.code];
    return { status, body: { code: Code[err.code], message: err.message, details: [] }, headers: errorHeaders(err) };
  }
  const cause = isStategateError(err) && err.cause !== undefined ? err.cause : err;
  logger.error({ err: cause, where }, 'rest: unexpected error');
  return { status: 500, body: { code: Code.INTERNAL, message: 'internal error', details: [] }, headers: {} };
}
