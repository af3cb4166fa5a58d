import { Code, ConnectError } from '@connectrpc/connect';
import { StategateError } from '../../core/errors.js';
import type { Logger } from '../../core/ports/logger.js';
import { bearerChallenge } from '../../policy/auth-error.js';

/**
 * Core's error as the RPC protocols send it. A StategateError keeps its code (connect's `Code` numbers
 * are gRPC's) and its message; a ConnectError (connect-es' own, e.g. a cancelled call) passes as it is;
 * anything else is a server fault: logged whole here, and masked as INTERNAL "internal error".
 */
export function toConnectError(err: unknown, logger: Logger, procedure: string): ConnectError {
  if (err instanceof StategateError) {
    return new ConnectError(err.message, err.status as number as Code, errorMetadata(err));
  }
  if (err instanceof ConnectError) return err;
  logger.error({ err, procedure }, 'rpc failed with an unexpected error');
  return new ConnectError('internal error', Code.Internal);
}

/**
 * What HTTP says beside the code: the bearer challenge of a refused credential (RFC 6750) and when to retry
 * a call that was shed or rate-limited. connect-es sends error metadata as headers (Connect unary, gRPC-Web
 * without a body) or trailers (gRPC).
 */
function errorMetadata(err: StategateError): Record<string, string> | undefined {
  const metadata: Record<string, string> = {};
  if (err.code === 'UNAUTHENTICATED') metadata['www-authenticate'] = bearerChallenge(err);
  if (err.retryAfterMs !== undefined) metadata['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfterMs / 1000)));
  return Object.keys(metadata).length > 0 ? metadata : undefined;
}

/**
 * connect-es reports request bytes that are not valid protobuf as INTERNAL ("parse binary: …"), which
 * the Connect protocol sends as HTTP 500, a server fault, and a few other framing mistakes of the client as
 * INTERNAL or UNIMPLEMENTED (see CLIENT_FRAMING_ERRORS). They are the client's fault (DESIGN.md G8), and
 * connect-go says INVALID_ARGUMENT for malformed input; this says the same on all three protocols.
 *
 * connect-es gives no hook between parsing and answering, but on every protocol it aborts the call's
 * context with the error before it serialises it, so a listener on that signal (added by the request
 * gate, before the body is read) can correct the code in time. test/e2e/grpc-bad-input.e2e.test.ts
 * fails if a connect-es upgrade changes that order.
 */
export function reportParseErrorsAsInvalidArgument(signal: AbortSignal): void {
  signal.addEventListener(
    'abort',
    () => {
      const reason: unknown = signal.reason;
      if (reason instanceof ConnectError && isClientFramingError(reason)) {
        (reason as { code: Code }).code = Code.InvalidArgument;
      }
    },
    { once: true },
  );
}

/**
 * What connect-es reports as a server fault (INTERNAL) or a missing feature (UNIMPLEMENTED) although the
 * request's bytes are to blame: unparseable protobuf, a compressed message without a usable encoding or
 * whose bytes do not decompress, and a unary call sent no message or more than one.
 */
const CLIENT_FRAMING_ERRORS: ReadonlyArray<{ code: Code; message: RegExp }> = [
  { code: Code.Internal, message: /^parse binary:/ },
  { code: Code.Internal, message: /^received compressed envelope, but do not know how to decompress/ },
  { code: Code.Internal, message: /^decompression failed/ },
  { code: Code.Unimplemented, message: /^protocol error: (missing|received extra) input message for unary method/ },
];

function isClientFramingError(err: ConnectError): boolean {
  return CLIENT_FRAMING_ERRORS.some(({ code, message }) => err.code === code && message.test(err.rawMessage));
}
