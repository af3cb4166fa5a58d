import { GraphQLError } from 'graphql';
import type { MaskError } from 'graphql-yoga';
import { type CodeName, isStategateError, type StategateError } from '../../core/errors.js';

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

/**
 * Yoga's `maskedErrors.maskError`: a StategateError becomes `extensions.code` = its gRPC code name with its
 * message; GraphQL's own errors (syntax, validation, variable and scalar coercion) pass unchanged; anything
 * else — INTERNAL included — is masked. Yoga logs every error this replaces (see `createYogaLogger`).
 */
export const maskError: MaskError = (error) => {
  const stategateError = findStategateError(error);
  if (stategateError && stategateError.code !== 'INTERNAL') {
    return coded(error, stategateError.code, stategateError.message);
  }
  if (!stategateError && isOwnGraphQLError(error)) return asInvalidArgument(error);
  return coded(error, 'INTERNAL', INTERNAL_MESSAGE);
};

/**
 * GraphQL's own request errors — syntax, validation, variable coercion — are all bad input, so they carry
 * INVALID_ARGUMENT like bad input on every other transport. Set in place: a new instance would make Yoga log
 * the client's mistake as a masked server error.
 */
export function asInvalidArgument(error: GraphQLError): GraphQLError {
  const code = error.extensions?.code;
  if (
    code === undefined ||
    code === 'BAD_USER_INPUT' ||
    code === 'GRAPHQL_VALIDATION_FAILED' ||
    code === 'GRAPHQL_PARSE_FAILED'
  ) {
    if (Object.isExtensible(error.extensions)) (error.extensions as Record<string, unknown>).code = 'INVALID_ARGUMENT';
  }
  return error;
}

/** The innermost error of a GraphQLError chain: what actually went wrong, for the log. */
export function rootError(error: unknown): unknown {
  let current = error;
  while (current instanceof GraphQLError && current.originalError) current = current.originalError;
  return current;
}
