import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * The header that lets a GraphQL POST use a content type a browser may send cross-site without asking
 * (form, multipart, text/plain) — Yoga's CSRF-prevention convention. A web page cannot set it on another
 * origin without a CORS preflight, which stategate's CORS refuses unless the origin is allowed.
 */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';

/** JSON request bodies: never "simple", so a cross-site page cannot send one without a preflight. */
const JSON_TYPES = ['application/json', 'application/graphql+json'];

/** The other bodies Yoga reads, allowed with CSRF_HEADER. */
const OTHER_TYPES = ['application/graphql', 'application/x-www-form-urlencoded', 'multipart/form-data'];

/**
 * The content type as Yoga's request parsers match it (its first entry, exactly, parameters allowed), so
 * that what passes here is what one of them reads: none of them would leave a body unread with an empty 415.
 */
function matches(contentType: string | undefined, types: readonly string[]): boolean {
  return contentType !== undefined && types.some((type) => contentType === type || contentType.startsWith(`${type};`));
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
      const type = request.headers.get('content-type')?.split(',')[0] || undefined;
      if (matches(type, JSON_TYPES)) return;
      const csrfSafe = (request.headers.get(CSRF_HEADER) ?? '').trim() !== '';
      if (csrfSafe && matches(type, OTHER_TYPES)) return;
      const got = type === undefined ? 'no content type' : JSON.stringify(type.slice(0, 100));
      throw new GraphQLError(
        csrfSafe
          ? `a GraphQL POST must be application/json, application/graphql, form-urlencoded or multipart, not ${got}`
          : `a GraphQL POST must be application/json, not ${got} (other content types need the ${CSRF_HEADER} header)`,
        { extensions: { code: 'INVALID_ARGUMENT', http: { status: 415 } } },
      );
    },
  };
}
