import type { ExecutionResult, GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { asInvalidArgument, type CallerFailure, callerFailureOf } from './errors.js';

/**
 * The HTTP status of a GraphQL answer (HTTP POST/GET and SSE), one rule for every request error:
 * - a request error — the operation never ran: no GraphQL request in the body, a syntax or validation error,
 *   a limit, bad variables — is 400 with `INVALID_ARGUMENT` (Yoga's own codes and `spec` statuses, 200 for
 *   `application/json` clients, are replaced), or its own more precise status (405 mutation over GET, 413
 *   body too large, 415 content type);
 * - an operation that failed as a whole (`data: null`) because of its caller: UNAUTHENTICATED is 401 with a
 *   `WWW-Authenticate` challenge, a rate limit or overload (RESOURCE_EXHAUSTED with a retry time) is 429 with
 *   `Retry-After`;
 * - every other execution error (NOT_FOUND, PERMISSION_DENIED, core's INVALID_ARGUMENT, …) and every partial
 *   success stays 200 with `errors`, as GraphQL over HTTP has it.
 */
export function useHttpStatus(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || isAsyncIterable(result)) return;
      const single = result as ExecutionResult;
      const errors = single.errors;
      if (!errors?.length || single.data != null) return;
      const http = callerStatus(errors) ?? requestErrorStatus(single, errors);
      if (!http) return;
      setResult({ ...single, extensions: { ...single.extensions, http } });
    },
  };
}

/** The strongest caller failure among the errors: 401 before 429 (a retry would not help). */
function callerStatus(errors: readonly GraphQLError[]): CallerFailure | undefined {
  let found: CallerFailure | undefined;
  for (const error of errors) {
    const failure = callerFailureOf(error);
    if (failure && (!found || failure.status < found.status)) found = failure;
  }
  return found;
}

/**
 * 400 for a request error: no `data` at all, no error from a field (those carry a `path`), every error
 * INVALID_ARGUMENT. Yoga picks the highest status any error asks for, so 405, 413 and 415 stay.
 */
function requestErrorStatus(result: ExecutionResult, errors: readonly GraphQLError[]): CallerFailure | undefined {
  if ('data' in result && result.data !== undefined) return undefined;
  if (errors.some((error) => error.path !== undefined)) return undefined;
  // Also drops Yoga's `spec` status, which application/json clients would get as 200.
  for (const error of errors) asInvalidArgument(error);
  // Anything else without data (a masked INTERNAL) keeps the status Yoga gives it.
  if (!errors.every((error) => error.extensions?.code === 'INVALID_ARGUMENT')) return undefined;
  for (const error of errors) {
    const extensions = error.extensions as Record<string, unknown> | undefined;
    // Yoga attaches the JSON parser's error, which quotes the body back: the message says enough.
    if (extensions && Object.hasOwn(extensions, 'originalError')) delete extensions.originalError;
  }
  return { status: 400, headers: {} };
}
