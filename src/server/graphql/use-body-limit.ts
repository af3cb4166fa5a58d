import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { readBodyUpTo } from '../../transports/http/read-body.js';

const JSON_TYPE = /^application\/(graphql-response\+)?json\b/i;

function tooLarge(limit: number): GraphQLError {
  return new GraphQLError(`the request body is larger than ${limit} bytes`, {
    extensions: { code: 'RESOURCE_EXHAUSTED', http: { status: 413 } },
  });
}

function badRequest(message: string, status = 400): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'INVALID_ARGUMENT', http: { status } } });
}

/**
 * Bounds GraphQL request bodies (STATEGATE_MAX_BODY_BYTES), as every other transport's are. A declared
 * Content-Length over the limit is refused before a byte is read; a body without one (chunked, or HTTP/2)
 * is read up to the limit and parsed here, JSON only, since Yoga itself would read it whole.
 */
export function useBodyLimit(maxBytes: number, endpoint: string): Plugin {
  const isGraphqlPost = (request: Request) => request.method === 'POST' && new URL(request.url).pathname === endpoint;
  return {
    onRequest({ request, endResponse }) {
      if (!isGraphqlPost(request)) return;
      const declared = Number(request.headers.get('content-length') ?? 0);
      if (declared > maxBytes) {
        const error = tooLarge(maxBytes);
        endResponse(
          new Response(JSON.stringify({ errors: [error.toJSON()] }), {
            status: 413,
            headers: { 'content-type': 'application/json' },
          }),
        );
      }
    },
    onRequestParse({ request, setRequestParser }) {
      if (!isGraphqlPost(request) || request.headers.get('content-length') !== null) return;
      setRequestParser(async (req) => {
        if (!JSON_TYPE.test(req.headers.get('content-type') ?? '')) {
          throw badRequest('a GraphQL POST without Content-Length must be application/json', 411);
        }
        const bytes = await readBodyUpTo(req, maxBytes);
        if (bytes === null) throw tooLarge(maxBytes);
        const text = Buffer.from(bytes).toString('utf8');
        try {
          return JSON.parse(text);
        } catch {
          throw badRequest('the request body is not valid JSON');
        }
      });
    },
  };
}
