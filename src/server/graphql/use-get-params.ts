import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** The GET parameters Yoga reads as JSON. */
const JSON_PARAMETERS = ['variables', 'extensions'] as const;

/**
 * Yoga parses a GET's `variables` and `extensions` with a bare JSON.parse, and its SyntaxError would reach the
 * client as a masked INTERNAL error. Checked first, they are the client's bad input: 400 INVALID_ARGUMENT.
 */
export function useGetParams(endpoint: string): Plugin {
  return {
    onRequestParse({ request, url }) {
      if (request.method !== 'GET' || url.pathname !== endpoint) return;
      for (const name of JSON_PARAMETERS) {
        const text = url.searchParams.get(name);
        if (!text) continue;
        try {
          JSON.parse(text);
        } catch {
          throw new GraphQLError(`the ${name} parameter is not valid JSON`, {
            extensions: { code: 'INVALID_ARGUMENT', http: { status: 400 } },
          });
        }
      }
    },
  };
}
