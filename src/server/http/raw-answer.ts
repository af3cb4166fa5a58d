import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { isOverflow } from '../network/connection-gate.js';

/** How long a socket given a raw last answer may take to read it before it is destroyed. */
const LAST_ANSWER_GRACE_MS = 1000;

/**
 * Node's own answers to a request it could not parse or that took too long (400, 408, 431) carry no
 * `X-Content-Type-Options` and no body; these say the same, in the REST error shape, with nosniff, and
 * close the connection (the parser cannot go on after such an error). As Node does by default, nothing is
 * written when the socket is gone or a response is already under way on it: it is destroyed.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // Node's own check (the response attached to the socket): its default handler reads the same field.
  const current = (socket as { _httpMessage?: ServerResponse })._httpMessage;
  if (!socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      writeLastAnswer(socket, 408, 'Request Timeout', 4, 'the request was not received in time');
      return;
    case 'HPE_HEADER_OVERFLOW':
      writeLastAnswer(socket, 431, 'Request Header Fields Too Large', 8, 'the request headers are too large');
      return;
    default:
      writeLastAnswer(socket, 400, 'Bad Request', 3, 'malformed HTTP request');
  }
}

/**
 * An 'upgrade' listener that must run before the WebSocket server's: a WebSocket upgrade on a connection
 * over the connection limits gets 503 and no WebSocket (the upgrade bypasses the request handler, where
 * other requests on such a connection are refused). The WebSocket server then finds the socket closed.
 */
export function refuseOverflowUpgrade(_req: IncomingMessage, socket: Duplex): void {
  if (!isOverflow(socket)) return;
  writeLastAnswer(socket, 503, 'Service Unavailable', 14, 'too many connections: retry later', 'retry-after: 1\r\n');
}

function writeLastAnswer(
  socket: Duplex,
  status: number,
  reason: string,
  code: number,
  message: string,
  extraHeaders = '',
): void {
  const body = JSON.stringify({ code, message, details: [] });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      'content-type: application/json\r\n' +
      'x-content-type-options: nosniff\r\n' +
      'connection: close\r\n' +
      extraHeaders +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  // A client that keeps sending after its answer must not hold the socket: end() alone would wait for it.
  setTimeout(() => socket.destroy(), LAST_ANSWER_GRACE_MS).unref();
}
