import { createContextKey, createContextValues, type HandlerContext } from '@connectrpc/connect';
import type { CallContext, Transport } from '../../core/ports/access.js';

/** Which of the three RPC protocols a request speaks, by its content type. */
export function rpcTransport(contentType: string | null): Extract<Transport, 'grpc' | 'grpc-web' | 'connect'> {
  const type = (contentType ?? '').trim().toLowerCase();
  if (type.startsWith('application/grpc-web')) return 'grpc-web';
  if (type.startsWith('application/grpc')) return 'grpc';
  return 'connect';
}

/** The client's IP address, put into each request's context values by the handler (see peerContextValues). */
const peerKey = createContextKey<string | undefined>(undefined, { description: 'client IP address' });

/** Context values carrying the client's IP address into the handler. */
export function peerContextValues(peer: string | undefined) {
  return createContextValues().set(peerKey, peer);
}

/** The CallContext of an RPC: its protocol, its `authorization` header, and its headers as metadata. */
export function callFromHandlerContext(context: HandlerContext): CallContext {
  const headers = context.requestHeader;
  const metadata: Record<string, string> = {};
  // Headers iterates lower-cased names, repeated ones joined; HTTP/2 pseudo-headers are not metadata.
  for (const [name, value] of headers) {
    if (!name.startsWith(':')) metadata[name.toLowerCase()] = value;
  }
  return {
    transport: rpcTransport(headers.get('content-type')),
    authorization: headers.get('authorization') ?? undefined,
    metadata,
    peer: context.values.get(peerKey),
  };
}
