import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How long an HTTP/1.1 connection keeps reading (and discarding) a refused body after its answer. */
export const LINGER_MS = 2000;

/**
 * Makes the answer being written to `req` the connection's last, and closes it without a reset, so the
 * client reads the answer even while it is still sending a body the server will not read (a 413 before a
 * 50 MB upload, a 503 over the connection limit).
 *
 * HTTP/1.1: `connection: close`, and instead of Node's destroy once the answer is flushed, the write side
 * is closed (FIN) while incoming bytes go on being discarded for LINGER_MS. Destroying a socket with
 * unread bytes makes the kernel send RST, and a client that gets RST before it has read the answer
 * reports ECONNRESET/EPIPE instead of the 413 (RFC 9112 §9.6, "tear-down"). A client that reads the
 * answer and closes ends the linger at once.
 *
 * HTTP/2 needs nothing: once an answer is flushed on a stream whose body was never read, Node closes the
 * stream with RST_STREAM NO_ERROR, "stop sending, the answer is complete" (RFC 9113 §8.1), and the
 * connection stays. (Closing it here on 'finish' would be too early: the RST can overtake the answer.)
 */
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  if (req.httpVersionMajor >= 2) return;
  res.setHeader('connection', 'close');
  lingerOnClose(req.socket);
}

/**
 * Node's HTTP server ends a `connection: close` exchange with `socket.destroySoon()`; this replaces it on
 * this one socket. The HTTP parser keeps consuming (and, as the request is dumped, discarding) the body.
 */
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = function lingeringClose(this: Socket) {
    if (this.destroyed) return;
    this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}
