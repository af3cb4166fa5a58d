import type { UniversalServerResponse } from '@connectrpc/connect/protocol';

/**
 * `grpc-message` as the gRPC spec encodes it: UTF-8, with only bytes outside printable ASCII (and `%`
 * itself) percent-encoded.
 */
export function grpcPercentEncode(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * connect-es writes the gRPC trailer `grpc-message` with encodeURIComponent, so `:` `/` `,` and spaces
 * arrive as %3A %2F %2C %20; grpc-js decodes it with decodeURI, which leaves the first three as they are,
 * and a Node client would read "entity d%2Ft%2Fk does not exist". Re-encoded the spec's way, every
 * client reads the message back exactly. The trailers are complete when the body ends, and the Node
 * adapter reads them only then.
 */
export function withSpecGrpcMessage(response: UniversalServerResponse): UniversalServerResponse {
  const { trailer, body } = response;
  if (!trailer || !body) return response;
  const fix = () => {
    const message = trailer.get('grpc-message');
    if (message !== null) trailer.set('grpc-message', grpcPercentEncode(decode(message)));
  };
  return {
    ...response,
    body: (async function* () {
      yield* body;
      fix();
    })(),
  };
}
