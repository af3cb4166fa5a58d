import { GraphQLError } from 'graphql';
import type { MaskError } from 'graphql-yoga';
import { type CodeName, isStategateError, type StategateError } from '../../core/errors.js';
import { bearerChallenge } from '../../policy/auth-error.js';

/** The message every unexpected error is replaced by; the original goes to the log only. */
export const INTERNAL_MESSAGE = 'internal error';

/** The StategateError somewhere in a GraphQLError's `originalError` chain, if any. */
export function findStategateError(error: unknown): StategateError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 16 && current instanceof Error; depth++) {
    if (isStategateError(current)) return current;
    current = current instanceof GraphQLError ? current.originalError : undefined;
  }
  return undefined;
}

/** A GraphQLError raised by GraphQL itself or by our scalars: no foreign error anywhere in its chain. */
function isOwnGraphQLError(error: unknown): error is GraphQLError {
  if (!(error instanceof GraphQLError)) return false;
  return error.originalError == null || isOwnGraphQLError(error.originalError);
}

/** The error a client gets for `code`, keeping where in the operation it happened. */
function coded(error: unknown, code: CodeName, message: string): GraphQLError {
  const located = error instanceof GraphQLError ? error : undefined;
  return new GraphQLError(message, {
    nodes: located?.nodes,
    source: located?.source,
    positions: located?.positions,
    path: located?.path,
    extensions: { code },
  });
}

/** How an operation that failed as a whole because of its caller is answered over HTTP (see use-http-status.ts). */
export interface CallerFailure {
  status: number;
  headers: Record<string, string>;
}

// Kept beside the errors rather than in `extensions.http`, which graphql-ws would send to its clients.
const callerFailures = new WeakMap<GraphQLError, CallerFailure>();

/** The HTTP status a masked error asks for when it fails its whole operation: 401 or 429, else none. */
export function callerFailureOf(error: GraphQLError): CallerFailure | undefined {
  return callerFailures.get(error);
}

function callerFailure(error: StategateError): CallerFailure | undefined {
  if (error.code === 'UNAUTHENTICATED') return { status: 401, headers: { 'WWW-Authenticate': bearerChallenge(error) } };
  if (error.code === 'RESOURCE_EXHAUSTED' && error.retryAfterMs !== undefined) {
    // Rate limit or overload: the caller may retry, and is told when.
    return { status: 429, headers: { 'Retry-After': String(Math.max(0, Math.ceil(error.retryAfterMs / 1000))) } };
  }
  return undefined;
}

/** graphql-js' "Did you mean …?" hints, which map the schema for whoever cannot introspect it. */
const SUGGESTION = /\s*Did you mean .+\?/g;

export function withoutSuggestions<E extends GraphQLError>(error: E): E {
  if (SUGGESTION.test(error.message)) error.message = error.message.replace(SUGGESTION, '');
  SUGGESTION.lastIndex = 0;
  return error;
}

export interface MaskErrorOptions {
  /** Strip field suggestions from every error (introspection off). */
  hideSuggestions: boolean;
}

/**
 * Yoga's `maskedErrors.maskError`: a StategateError becomes `extensions.code` = its gRPC code name with its
 * message; GraphQL's own errors (syntax, validation, variable and scalar coercion) pass as INVALID_ARGUMENT;
 * anything else — INTERNAL included — is masked. Yoga logs every error this replaces (see `createYogaLogger`).
 */
export function createMaskError(options: MaskErrorOptions): MaskError {
  return (error) => {
    const stategateError = findStategateError(error);
    if (stategateError && stategateError.code !== 'INTERNAL') {
      const masked = coded(error, stategateError.code, stategateError.message);
      const failure = callerFailure(stategateError);
      if (failure) callerFailures.set(masked, failure);
      return masked;
    }
    if (!stategateError && isOwnGraphQLError(error)) {
      const own = asInvalidArgument(error);
      return options.hideSuggestions ? withoutSuggestions(own) : own;
    }
    return coded(error, 'INTERNAL', INTERNAL_MESSAGE);
  };
}

export const maskError: MaskError = createMaskError({ hideSuggestions: false });

/** The codes Yoga and graphql-js give a request's own errors, none of them a gRPC code name. */
const REQUEST_ERROR_CODES = new Set([
  'BAD_REQUEST',
  'BAD_USER_INPUT',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * GraphQL's own request errors — a body that is no GraphQL request, syntax, validation, a limit, variable
 * coercion — are all bad input, so they carry INVALID_ARGUMENT like bad input on every other transport. Set
 * in place: a new instance would make Yoga log the client's mistake as a masked server error.
 */
export function asInvalidArgument(error: GraphQLError): GraphQLError {
  const extensions = error.extensions as Record<string, unknown> | undefined;
  if (!extensions || !Object.isExtensible(extensions)) return error;
  const code = extensions.code;
  if (code === undefined || (typeof code === 'string' && REQUEST_ERROR_CODES.has(code))) {
    extensions.code = 'INVALID_ARGUMENT';
  }
  // A plain 400 (Yoga's `spec` one is 200 for application/json clients) is use-http-status.ts's to give, for
  // every client; left in, graphql-ws would send it to its clients as `extensions.http`. 405, 413 and 415
  // (and their headers) stay.
  const http = extensions.http as { spec?: unknown; status?: unknown; headers?: unknown } | undefined;
  if (http && (http.spec === true || (http.status === 400 && http.headers === undefined))) delete extensions.http;
  return error;
}

/** The innermost error of a GraphQLError chain: what actually went wrong, for the log. */
export function rootError(error: unknown): unknown {
  let current = error;
  while (current instanceof GraphQLError && current.originalError) current = current.originalError;
  return current;
}
