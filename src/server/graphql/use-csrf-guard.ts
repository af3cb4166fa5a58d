import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * The header that lets a GraphQL POST use a content type a browser may send cross-site without asking
 * (form, multipart, text/plain) — Yoga's CSRF-prevention convention. A web page cannot set it on another
 * origin without a CORS preflight, which stategate's CORS refuses unless the origin is allowed.
 */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';

/** JSON request bodies: never "simple", so a cross-site page cannot send one without a preflight. */
const JSON_MEDIA_TYPE = /^application\/(?:graphql\+)?json$/;

/** The other bodies Yoga reads, allowed with CSRF_HEADER. */
const OTHER_MEDIA_TYPES = new Set(['application/graphql', 'application/x-www-form-urlencoded', 'multipart/form-data']);

function mediaType(request: Request): string | undefined {
  const header = request.headers.get('content-type');
  if (header === null) return undefined;
  return (header.split(';', 1)[0] ?? '').trim().toLowerCase() || undefined;
}

/**
 * Closes GraphQL CSRF: a POST must be JSON, or carry CSRF_HEADER (and then be another body Yoga reads);
 * anything else (form-encoded, multipart, text/plain, no content type) is 415 INVALID_ARGUMENT before its
 * body is read. GET only ever runs queries
 * (Yoga answers a mutation over GET with 405), so it needs no header.
 *
 * Not @graphql-yoga/plugin-csrf-prevention: that one demands the header on GET too, and answers 403 without
 * a gRPC code.
 */
export function useCsrfGuard(endpoint: string): Plugin {
  return {
    onRequestParse({ request, url }) {
      if (request.method !== 'POST' || url.pathname !== endpoint) return;
      const type = mediaType(request);
      if (type !== undefined && JSON_MEDIA_TYPE.test(type)) return;
      const csrfSafe = (request.headers.get(CSRF_HEADER) ?? '').trim() !== '';
      if (csrfSafe && type !== undefined && OTHER_MEDIA_TYPES.has(type)) return;
      const got = type === undefined ? 'no content type' : type;
      throw new GraphQLError(
        csrfSafe
          ? `a GraphQL POST must be application/json, application/graphql, form-urlencoded or multipart, not ${got}`
          : `a GraphQL POST must be application/json, not ${got} (other content types need the ${CSRF_HEADER} header)`,
        { extensions: { code: 'INVALID_ARGUMENT', http: { status: 415 } } },
      );
    },
  };
}
