import { type ASTNode, GraphQLError } from 'graphql';

/**
 * Bad input caught by our scalars. A GraphQLError (so Yoga never masks it as a server fault) with the code
 * core uses for bad input, so clients see INVALID_ARGUMENT whichever layer rejected the value. Its own class
 * lets the server recognise it after graphql-js has wrapped it (see use-input-error-codes.ts).
 */
export class InputError extends GraphQLError {
  constructor(message: string, node?: ASTNode) {
    super(message, { nodes: node, extensions: { code: 'INVALID_ARGUMENT' } });
  }
}
