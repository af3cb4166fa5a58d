import { type H2Response, http1, http2, type RawResponse } from './http.js';

/**
 * Requests of the abuse catalogue, one builder per transport. Each sends exactly what the case says on a
 * fresh connection and answers the raw response; the case asserts the exact answer.
 */

export const JSON_CT = { 'content-type': 'application/json' } as const;
const GRAPHQL_ACCEPT = { accept: 'application/graphql-response+json, application/json' } as const;

/** POST /api/graphql with `body` as given (a string is sent verbatim) and these headers. */
export function graphqlPost(
  baseUrl: string,
  body: string | Buffer | object,
  headers: Record<string, string> = JSON_CT,
): Promise<RawResponse> {
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return http1(baseUrl, {
    method: 'POST',
    path: '/api/graphql',
    headers: { ...GRAPHQL_ACCEPT, ...headers },
    body: raw,
    timeoutMs: 20_000,
  });
}

/** GET /api/graphql?… with the parameters URL-encoded. */
export function graphqlGet(baseUrl: string, params: Record<string, string>): Promise<RawResponse> {
  const query = new URLSearchParams(params).toString();
  return http1(baseUrl, { method: 'GET', path: `/api/graphql?${query}`, headers: GRAPHQL_ACCEPT });
}

/** One REST call; an object body is JSON with content-type application/json. */
export function restCall(
  baseUrl: string,
  method: string,
  path: string,
  body?: string | Buffer | object,
  headers?: Record<string, string>,
): Promise<RawResponse> {
  const raw = body === undefined || typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const withType = body !== undefined && typeof body === 'object' && !Buffer.isBuffer(body) ? JSON_CT : {};
  return http1(baseUrl, { method, path, headers: { ...withType, ...headers }, body: raw });
}

/** A Connect unary call over HTTP/1.1 (JSON unless headers say otherwise). */
export function connectCall(
  baseUrl: string,
  procedure: string,
  body: string | Buffer | object,
  headers: Record<string, string> = JSON_CT,
): Promise<RawResponse> {
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return http1(baseUrl, { method: 'POST', path: procedure, headers, body: raw });
}

/** A gRPC call over HTTP/2 (h2c) with the raw body bytes: framing is the caller's. */
export function grpcCall(
  baseUrl: string,
  procedure: string,
  body: Buffer,
  headers: Record<string, string> = {},
): Promise<H2Response> {
  return http2(baseUrl, {
    method: 'POST',
    path: procedure,
    headers: { 'content-type': 'application/grpc', te: 'trailers', ...headers },
    body,
  });
}
