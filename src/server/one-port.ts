import { createServer as createHttpServer, type Server as HttpServer, type RequestListener } from 'node:http';
import { createServer as createHttp2Server, type Http2Server, type ServerHttp2Session } from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';

/** TLS material; with it the port speaks TLS and picks HTTP/2 or HTTP/1.1 by ALPN. */
export interface TlsOptions {
  cert: Buffer;
  key: Buffer;
}

/** One listening port, and the HTTP/1.1 and HTTP/2 servers behind it. */
export interface OnePort {
  /** Stops accepting, closes idle connections, lets open ones finish; forces the rest after `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
  /** The socket listener: `listen()` and `close()` it. */
  listener: NetServer;
  /** HTTP/1.1 (REST, GraphQL, WebSocket upgrades, gRPC-Web, Connect). */
  http1: HttpServer;
  /** HTTP/2 (gRPC, and everything else a client chooses to speak over h2). */
  http2: Http2Server;
}

const PREFACE_START = Buffer.from('PRI * HTTP/2.0');

/**
 * Serves HTTP/1.1 and HTTP/2 on one port. In cleartext an HTTP/2 client with prior knowledge (h2c) opens
 * with the connection preface `PRI * HTTP/2.0`, so the first bytes decide; with TLS, ALPN decides. Each
 * connection is then handed whole to a plain `http` or `http2` server, so both keep their own parsing,
 * keep-alive and upgrade handling and see one handler.
 */
export function createOnePort(handler: RequestListener, tls?: TlsOptions): OnePort {
  const http1 = createHttpServer(handler);
  // The http2 compat API hands the same (req, res) shape to the handler as http does.
  const http2 = createHttp2Server(handler as unknown as Parameters<typeof createHttp2Server>[0]);

  const listener = tls
    ? createTlsServer({ cert: tls.cert, key: tls.key, ALPNProtocols: ['h2', 'http/1.1'] }, (socket: TLSSocket) => {
        if (socket.alpnProtocol === 'h2') http2.emit('connection', socket);
        else http1.emit('connection', socket);
      })
    : createNetServer((socket) => sniff(socket, http1, http2));
  // The http1 server never listens itself; its 'listening' event is what starts its connection tracking,
  // which closeIdleConnections / closeAllConnections need for a graceful shutdown.
  listener.on('listening', () => http1.emit('listening'));
  const sessions = new Set<ServerHttp2Session>();
  http2.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });

  const close = async (timeoutMs: number) => {
    const stopped = new Promise<void>((resolve) => listener.close(() => resolve()));
    http1.close();
    for (const session of sessions) session.close();
    const forced = setTimeout(() => {
      http1.closeAllConnections();
      for (const session of sessions) session.destroy();
    }, timeoutMs);
    forced.unref();
    await stopped;
    clearTimeout(forced);
  };
  return { listener, http1, http2, close };
}

/** Reads just enough of a cleartext connection to tell h2c prior knowledge from HTTP/1.1, then hands it on. */
function sniff(socket: Socket, http1: HttpServer, http2: Http2Server): void {
  let seen = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    seen = Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, PREFACE_START.length);
    const isH2 = seen.subarray(0, n).equals(PREFACE_START.subarray(0, n));
    if (isH2 && seen.length < PREFACE_START.length) return;
    socket.off('data', onData);
    socket.off('error', onError);
    socket.pause();
    socket.unshift(seen);
    // http2 takes the bytes already read from the socket's buffer itself; http1 reads them once resumed.
    if (isH2) {
      http2.emit('connection', socket);
    } else {
      http1.emit('connection', socket);
      socket.resume();
    }
  };
  const onError = () => socket.destroy();
  socket.on('data', onData);
  socket.on('error', onError);
}
