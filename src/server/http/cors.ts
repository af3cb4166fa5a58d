import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../../config/config.js';

/** STATEGATE_CORS_ALLOW_*: no origin listed = no cross-origin access at all. */
export type CorsConfig = Config['cors'];

/**
 * Request headers the Connect and gRPC-Web protocols send. Always allowed, so a browser RPC client works
 * whatever STATEGATE_CORS_ALLOW_HEADERS lists (they carry protocol framing, not credentials).
 */
export const PROTOCOL_HEADERS: readonly string[] = [
  'content-type',
  'connect-protocol-version',
  'connect-timeout-ms',
  'grpc-timeout',
  'x-grpc-web',
  'x-user-agent',
];

/** Response headers a browser script must be able to read: an RPC's status, when to retry, why it was refused. */
export const EXPOSED_HEADERS: readonly string[] = [
  'grpc-status',
  'grpc-message',
  'grpc-status-details-bin',
  'retry-after',
  'www-authenticate',
];

/** What CORS needs of a request. */
export interface CorsRequest {
  method: string;
  /** The `Origin` header as received (Node joins repeated headers with ", ", which matches nothing). */
  origin: string | undefined;
  /** `Access-Control-Request-Method`: present on a preflight. */
  requestMethod: string | undefined;
  /** `Access-Control-Request-Headers` of a preflight. */
  requestHeaders: string | undefined;
}

/** The CORS part of an answer: the headers to add, and whether the request is a preflight answered here. */
export interface CorsAnswer {
  preflight: boolean;
  headers: Record<string, string>;
}

/**
 * The one CORS decision of the port, the same for GraphQL, REST, Connect, gRPC-Web, probes and 404s.
 * An origin is allowed only when it equals a configured one byte for byte: configured origins are
 * canonical (scheme://host[:port], checked by loadConfig), browsers send the same serialization, so a
 * look-alike (suffix, other scheme or port, trailing slash, other case) or `null` never matches. With `*`
 * any origin gets the literal `*` (never with credentials: loadConfig refuses that combination).
 */
export function corsAnswer(config: CorsConfig, request: CorsRequest): CorsAnswer {
  const anyOrigin = config.origins.includes('*');
  const listed = !anyOrigin && config.origins.length > 0;
  const { origin } = request;
  const preflight = request.method === 'OPTIONS' && origin !== undefined && request.requestMethod !== undefined;
  const headers: Record<string, string> = {};
  const vary: string[] = [];
  // The answer depends on Origin whenever a list decides, for every request: a cache must not hand the
  // answer to one origin (or to a request without Origin) to another.
  if (listed) vary.push('origin');
  const allowed = origin !== undefined && (anyOrigin || (listed && config.origins.includes(origin)));
  if (allowed) {
    headers['access-control-allow-origin'] = anyOrigin ? '*' : origin;
    if (config.credentials) headers['access-control-allow-credentials'] = 'true';
    if (preflight) {
      headers['access-control-allow-methods'] = config.methods.includes('*')
        ? (request.requestMethod ?? '')
        : config.methods.join(', ');
      if (config.headers.includes('*')) {
        // `*` would not cover Authorization (Fetch standard), so the browser's own list is echoed.
        headers['access-control-allow-headers'] = request.requestHeaders ?? PROTOCOL_HEADERS.join(', ');
        vary.push('access-control-request-headers');
      } else {
        headers['access-control-allow-headers'] = unique([...config.headers, ...PROTOCOL_HEADERS]).join(', ');
      }
      headers['access-control-max-age'] = String(config.maxAgeSeconds);
    } else {
      headers['access-control-expose-headers'] = EXPOSED_HEADERS.join(', ');
    }
  }
  if (vary.length > 0) headers.vary = vary.join(', ');
  return { preflight, headers };
}

/**
 * Applies CORS to one request on the port: sets the headers on `res` and answers a preflight itself
 * (204; without CORS headers when the origin is not allowed, so the browser refuses the real request).
 * Returns true when it answered.
 */
export function createCors(config: CorsConfig): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const { preflight, headers } = corsAnswer(config, {
      method: req.method ?? 'GET',
      origin: single(req.headers.origin),
      requestMethod: single(req.headers['access-control-request-method']),
      requestHeaders: single(req.headers['access-control-request-headers']),
    });
    for (const [name, value] of Object.entries(headers)) {
      if (name === 'vary') appendVary(res, value);
      else res.setHeader(name, value);
    }
    if (!preflight) return false;
    res.writeHead(204);
    res.end();
    return true;
  };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function unique(names: string[]): string[] {
  return [...new Set(names.map((name) => name.toLowerCase()))];
}

/** Adds to `Vary` instead of replacing what another part of the answer already put there. */
function appendVary(res: ServerResponse, value: string): void {
  const current = res.getHeader('vary');
  res.setHeader('vary', current === undefined ? value : `${String(current)}, ${value}`);
}
