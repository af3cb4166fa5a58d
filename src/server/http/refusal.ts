import type { IncomingMessage, ServerResponse } from 'node:http';
import { grpcPercentEncode } from '../../transports/connect/grpc-message.js';

/** Which face of the port a request is for: each has its own error shape. */
export type Surface = 'graphql' | 'rest' | 'rpc' | 'other';

/** A request the port refuses before a transport sees it (and before its body is read). */
export interface Refusal {
  /** HTTP status for GraphQL, REST and plain HTTP answers. */
  status: number;
  /** The gRPC status code: 8 RESOURCE_EXHAUSTED or 14 UNAVAILABLE. */
  grpcCode: 8 | 14;
  message: string;
  /** Sent as `Retry-After` (seconds) when set. */
  retryAfterSeconds?: number;
}

const CONNECT_CODES = {
  8: { name: 'resource_exhausted', status: 429 },
  14: { name: 'unavailable', status: 503 },
} as const;
const GRAPHQL_CODES = { 8: 'RESOURCE_EXHAUSTED', 14: 'UNAVAILABLE' } as const;

/**
 * Answers a refusal in the shape the request's protocol expects: GraphQL `{errors: [{extensions: {code}}]}`,
 * REST `{code, message, details}`, gRPC-Web status headers, gRPC status trailers, Connect `{code, message}`
 * with its HTTP status (resource_exhausted is 429 there).
 */
export function sendRefusal(req: IncomingMessage, res: ServerResponse, surface: Surface, refusal: Refusal): void {
  if (refusal.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(refusal.retryAfterSeconds));
  if (surface === 'rpc') {
    sendRpcRefusal(req, res, refusal);
    return;
  }
  const body =
    surface === 'graphql'
      ? { errors: [{ message: refusal.message, extensions: { code: GRAPHQL_CODES[refusal.grpcCode] } }] }
      : { code: refusal.grpcCode, message: refusal.message, details: [] };
  sendJson(res, refusal.status, body);
}

function sendRpcRefusal(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
  const contentType = String(req.headers['content-type'] ?? '');
  const status = { 'grpc-status': String(refusal.grpcCode), 'grpc-message': grpcPercentEncode(refusal.message) };
  if (contentType.startsWith('application/grpc-web')) {
    res.writeHead(200, { 'content-type': 'application/grpc-web+proto', ...status });
    res.end();
    return;
  }
  if (contentType.startsWith('application/grpc')) {
    res.writeHead(200, { 'content-type': 'application/grpc' });
    res.addTrailers(status);
    res.end();
    return;
  }
  const connect = CONNECT_CODES[refusal.grpcCode];
  sendJson(res, connect.status, { code: connect.name, message: refusal.message });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
