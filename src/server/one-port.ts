import { createServer as createHttpServer, type Server as HttpServer, type RequestListener } from 'node:http';
import {
  createServer as createHttp2Server,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from 'node:tls';
import type { NetworkLimits } from '../config/config.js';
import { answerClientError, refuseOverflowUpgrade } from './http/raw-answer.js';
import { type Admission, createConnectionGate, tagAdmission } from './network/connection-gate.js';
import { guardHttp2Session } from './network/http2-guards.js';
import { sniffProtocol } from './network/sniff.js';

/** TLS material; with it the port speaks TLS and picks HTTP/2 or HTTP/1.1 by ALPN. */
export interface TlsOptions {
  cert: Buffer;
  key: Buffer;
}

/** The limits of the port (STATEGATE_MAX_CONNECTIONS…, see NetworkLimits). */
export type PortLimits = Pick<
  NetworkLimits,
  | 'maxConnections'
  | 'maxConnectionsPerIp'
  | 'http2MaxStreams'
  | 'http2MaxResetsPerSecond'
  | 'headersTimeoutMs'
  | 'requestTimeoutMs'
  | 'idleTimeoutMs'
>;

export interface OnePortOptions {
  /** Every request of both protocols; also a request with `Expect: 100-continue`, which it must continue. */
  handler: RequestListener;
  limits: PortLimits;
  tls?: TlsOptions | undefined;
}

/** One listening port, and the HTTP/1.1 and HTTP/2 servers behind it. */
export interface OnePort {
  /** Stops accepting, closes idle connections, lets open ones finish; forces the rest after `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
  /** The socket listener: `listen()` and `close()` it. */
  listener: NetServer;
  /** The listener when the port speaks TLS (its certificate can be replaced), else null. */
  tlsServer: TlsServer | null;
  /** HTTP/1.1 (REST, GraphQL, WebSocket upgrades, gRPC-Web, Connect). */
  http1: HttpServer;
  /** HTTP/2 (gRPC, and everything else a client chooses to speak over h2). */
  http2: Http2Server;
}

/** How long a connection over the limits may take to get its one answer. */
const OVERFLOW_DEADLINE_MS = 5000;

/**
 * Serves HTTP/1.1 and HTTP/2 on one port. In cleartext an HTTP/2 client with prior knowledge (h2c) opens
 * with the connection preface `PRI * HTTP/2.0`, so the first bytes decide; with TLS, ALPN decides. Each
 * connection is then handed whole to a plain `http` or `http2` server, so both keep their own parsing,
 * keep-alive and upgrade handling and see one handler.
 *
 * Every connection is counted against the connection limits first (see ConnectionGate), and bounded in
 * time in each phase: the protocol sniff and the TLS handshake (headers timeout), HTTP/1.1 headers and
 * request (headers/request timeouts, which end when a request has arrived, so a long response stream is
 * never cut), keep-alive and HTTP/2 sessions without streams (idle timeout).
 */
export function createOnePort(options: OnePortOptions): OnePort {
  const { handler, limits, tls } = options;
  // Node refuses a headers timeout longer than the request timeout: the request timeout includes it.
  const headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  const http1 = createHttpServer(
    {
      headersTimeout,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.idleTimeoutMs,
      // How often Node looks for connections past those timeouts (its default, 30 s, would let a
      // slowloris connection live up to 30 s past a 10 s headers timeout).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
    handler,
  );
  http1.on('checkContinue', handler);
  http1.on('clientError', answerClientError);
  http1.prependListener('upgrade', refuseOverflowUpgrade);
  // The http2 compat API hands the same (req, res) shape to the handler as http does.
  const h2Handler = handler as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void;
  const http2 = createHttp2Server({ settings: { maxConcurrentStreams: limits.http2MaxStreams } }, h2Handler);
  http2.on('checkContinue', h2Handler);

  const gate = createConnectionGate(limits);
  /**
   * Every admitted TCP connection, for the shutdown deadline: one still being sniffed (or in its TLS
   * handshake) belongs to neither HTTP server yet, so their forced close would miss it and the port would
   * wait for its sniff timeout.
   */
  const sockets = new Set<Socket>();
  /** Counts a new TCP connection; null when it is refused outright (and destroyed). */
  const admit = (socket: Socket): Admission | null => {
    const admission = gate.admit(socket);
    if (admission === 'refused') {
      socket.destroy();
      return null;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (admission === 'overflow') {
      const deadline = setTimeout(() => socket.destroy(), Math.min(OVERFLOW_DEADLINE_MS, headersTimeout));
      deadline.unref();
      socket.once('close', () => clearTimeout(deadline));
    }
    return admission;
  };

  let listener: NetServer;
  let tlsServer: TlsServer | null = null;
  if (tls) {
    // The TCP socket is admitted before its handshake (which is what a flood costs); the TLS socket the
    // HTTP servers see is another object, found again by its remote address and port.
    const admissions = new Map<string, Admission>();
    const keyOf = (socket: Socket) => `${socket.remoteAddress}|${socket.remotePort}`;
    tlsServer = createTlsServer(
      { cert: tls.cert, key: tls.key, ALPNProtocols: ['h2', 'http/1.1'], handshakeTimeout: headersTimeout },
      (socket: TLSSocket) => {
        tagAdmission(socket, admissions.get(keyOf(socket)) ?? 'admitted');
        if (socket.alpnProtocol === 'h2') http2.emit('connection', socket);
        else http1.emit('connection', socket);
      },
    );
    tlsServer.on('connection', (socket: Socket) => {
      const admission = admit(socket);
      if (admission === null) return;
      const key = keyOf(socket);
      admissions.set(key, admission);
      socket.once('close', () => admissions.delete(key));
    });
    // A failed or timed-out handshake (scanners, plain HTTP on the TLS port, a client that never starts):
    // nothing to log, but the socket must go; Node's handshake timeout only reports it here.
    tlsServer.on('tlsClientError', (_err, socket) => socket.destroy());
    listener = tlsServer;
  } else {
    listener = createNetServer((socket) => {
      const admission = admit(socket);
      if (admission === null) return;
      tagAdmission(socket, admission);
      sniffProtocol(socket, headersTimeout, (protocol) =>
        (protocol === 'h2' ? http2 : http1).emit('connection', socket),
      );
    });
  }
  // The http1 server never listens itself; its 'listening' event is what starts its connection tracking,
  // which closeIdleConnections / closeAllConnections and the headers/request timeouts need.
  listener.on('listening', () => http1.emit('listening'));
  const sessions = new Set<ServerHttp2Session>();
  http2.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    guardHttp2Session(session, {
      maxResetsPerSecond: limits.http2MaxResetsPerSecond,
      idleTimeoutMs: limits.idleTimeoutMs,
    });
  });

  const close = async (timeoutMs: number) => {
    const stopped = new Promise<void>((resolve) => listener.close(() => resolve()));
    http1.close();
    for (const session of sessions) session.close();
    const forced = setTimeout(() => {
      http1.closeAllConnections();
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
    }, timeoutMs);
    forced.unref();
    await stopped;
    clearTimeout(forced);
  };
  return { listener, tlsServer, http1, http2, close };
}
