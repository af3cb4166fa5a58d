import { Code, ConnectError } from '@connectrpc/connect';

/** The only flag a client may set on a gRPC / gRPC-Web message: compressed. */
const COMPRESSED = 0x01;
const ENVELOPE_HEADER_BYTES = 5;

/**
 * A gRPC or gRPC-Web request body that fails INVALID_ARGUMENT when a message envelope carries a flag a
 * client may not send. connect-es looks only at the compressed bit, so a message flagged 0x80 (a gRPC-Web
 * trailer, which only servers send) or 0x02 would otherwise be read as an ordinary message and acted on.
 */
export async function* rejectUnknownEnvelopeFlags(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  // Bytes still to skip of the current message, and the part of a header split across chunks.
  let remaining = 0;
  let header: number[] = [];
  for await (const chunk of body) {
    let at = 0;
    while (at < chunk.length) {
      if (remaining > 0) {
        const skip = Math.min(remaining, chunk.length - at);
        remaining -= skip;
        at += skip;
        continue;
      }
      header.push(chunk[at] as number);
      at++;
      if (header.length < ENVELOPE_HEADER_BYTES) continue;
      const [flags = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0] = header;
      if ((flags & ~COMPRESSED) !== 0) {
        throw new ConnectError(
          `protocol error: message flags 0x${flags.toString(16).padStart(2, '0')} are not a client's to send`,
          Code.InvalidArgument,
        );
      }
      remaining = ((b1 << 24) >>> 0) + (b2 << 16) + (b3 << 8) + b4;
      header = [];
    }
    yield chunk;
  }
}
