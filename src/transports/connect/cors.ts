import type { IncomingMessage, ServerResponse } from 'node:http';

/** Which browser origins may call the RPCs, and with which request headers ('*' or empty = any). */
export interface RpcCorsOptions {
  origins: readonly string[];
  headers: readonly string[];
}

/** Request headers the Connect and gRPC-Web protocols use, allowed when the configured list says "any". */
const PROTOCOL_HEADERS = [
  'authorization',
  'content-type',
  'connect-protocol-version',
  'connect-timeout-ms',
  'grpc-timeout',
  'x-grpc-web',
  'x-user-agent',
];
/** Response headers a browser client must be able to read to see a call's status. */
const EXPOSED_HEADERS = ['grpc-status', 'grpc-message', 'grpc-status-details-bin'];

const isAny = (list: readonly string[]) => list.length === 0 || list.includes('*');

/**
 * CORS for browser clients (connect-web over Connect or gRPC-Web): sets the response's CORS headers for
 * an allowed origin and answers a preflight. Returns true when it answered the request (a preflight).
 */
export function handleCors(req: IncomingMessage, res: ServerResponse, cors: RpcCorsOptions): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  const anyOrigin = isAny(cors.origins);
  if (!anyOrigin && !cors.origins.includes(origin)) return false;
  res.setHeader('access-control-allow-origin', anyOrigin ? '*' : origin);
  if (!anyOrigin) res.setHeader('vary', 'origin');
  res.setHeader('access-control-expose-headers', EXPOSED_HEADERS.join(', '));
  if (req.method !== 'OPTIONS') return false;
  const requested = req.headers['access-control-request-headers'];
  res.writeHead(204, {
    'access-control-allow-methods': 'POST, GET',
    'access-control-allow-headers': isAny(cors.headers)
      ? (requested ?? PROTOCOL_HEADERS.join(', '))
      : cors.headers.join(', '),
    'access-control-max-age': '7200',
  });
  res.end();
  return true;
}
