import { GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { InputError } from '../../schema/input-error.js';
import { asInvalidArgument } from './errors.js';

function hasInputError(error: GraphQLError): boolean {
  let current: unknown = error;
  while (current instanceof GraphQLError) {
    if (current instanceof InputError) return true;
    current = current.originalError;
  }
  return false;
}

/**
 * Makes a subscription's variable errors read as a query's do. @graphql-tools/executor's `subscribe`
 * stamps every variable error `BAD_USER_INPUT` (not a gRPC code name), which would hide our scalars'
 * INVALID_ARGUMENT; a query's variable errors keep our code, or carry none when GraphQL raised them.
 */
export function useInputErrorCodes(): Plugin {
  return {
    // Validation errors never pass maskError; whichever of this and Yoga's own hook runs first, the code
    // ends up INVALID_ARGUMENT (Yoga only fills a code that is missing).
    onValidate() {
      return ({ valid, result }) => {
        if (!valid) for (const error of result) asInvalidArgument(error);
      };
    },
    onSubscribe() {
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result) || !result.errors?.length) return;
          setResult({
            ...result,
            errors: result.errors.map((error) => {
              if (error.extensions?.code !== 'BAD_USER_INPUT') return error;
              const { code: _stamped, ...extensions } = error.extensions;
              return new GraphQLError(error.message, {
                nodes: error.nodes,
                source: error.source,
                positions: error.positions,
                path: error.path,
                originalError: error.originalError,
                extensions: hasInputError(error) ? { ...extensions, code: 'INVALID_ARGUMENT' } : extensions,
              });
            }),
          });
        },
      };
    },
  };
}
