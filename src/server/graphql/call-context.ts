import type { IncomingHttpHeaders } from 'node:http';
import type { CallContext } from '../../core/ports/access.js';

/** The CallContext of a GraphQL request over HTTP (POST, GET or SSE). */
export function callFromRequest(request: Request, peer?: string): CallContext {
  const metadata: Record<string, string> = {};
  // Repeated headers come joined; names are lower-cased here because not every Headers implementation does.
  for (const [name, value] of request.headers) metadata[name.toLowerCase()] = value;
  return { transport: 'graphql', authorization: request.headers.get('authorization') ?? undefined, metadata, peer };
}

const CREDENTIAL_FIELDS = ['Authorization', 'authorization', 'authToken'] as const;

/**
 * The CallContext of a graphql-ws connection. Browsers cannot set headers on a WebSocket, so the
 * credentials come from the `connection_init` payload (`Authorization`, `authorization` or `authToken`);
 * a bare token there is taken as a bearer token. The upgrade request's `Authorization` header is the fallback.
 */
export function callFromConnection(
  connectionParams: Readonly<Record<string, unknown>> | undefined,
  headers: IncomingHttpHeaders,
  peer?: string,
): CallContext {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) metadata[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  let authorization = metadata.authorization;
  for (const field of CREDENTIAL_FIELDS) {
    const value = connectionParams?.[field];
    if (typeof value === 'string' && value.trim() !== '') {
      const credential = value.trim();
      // A lone scheme name ("Bearer") is no token: it stays as it is, to be refused as a missing token.
      authorization = /\s/.test(credential) || /^bearer$/i.test(credential) ? credential : `Bearer ${credential}`;
      break;
    }
  }
  return { transport: 'graphql', authorization, metadata, peer };
}
