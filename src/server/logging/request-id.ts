import { randomUUID } from 'node:crypto';

/**
 * An incoming `x-request-id` is kept when it is short and plain (a proxy's or the client's id ties their
 * logs to ours); anything else — long, or with characters that could forge log fields — is replaced.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The request's id: the client's `x-request-id` when sane, else a fresh UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}

/** W3C trace context: version-traceid-parentid-flags; an all-zero trace id is invalid. */
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The trace id of a valid `traceparent` header, else undefined. */
export function traceIdFrom(header: string | string[] | undefined): string | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim().toLowerCase();
  const traceId = value === undefined ? undefined : TRACEPARENT.exec(value)?.[1];
  return traceId === undefined || /^0+$/.test(traceId) ? undefined : traceId;
}
