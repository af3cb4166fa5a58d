import { type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** Raw connections for the network tests: from a chosen loopback address, one byte-exact request at a time. */

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed (or reset) the connection after, or instead of, the answer. */
  closed: boolean;
}

/** A TCP (or TLS, given its CA) connection to `baseUrl` from `localAddress` (any 127.x.y.z is loopback). */
export function connectFrom(baseUrl: string, localAddress: string, ca?: Buffer): Promise<Socket> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const tcp = tcpConnect({ host: hostname, port: Number(port), localAddress });
    // TLS over a TCP socket of our own: tls.connect's options have no localAddress.
    const socket = ca
      ? tlsConnect({ socket: tcp, ca, servername: 'localhost' }, () => resolve(socket))
      : tcp.once('connect', () => resolve(tcp));
    tcp.once('error', reject);
    socket.once('error', reject);
  });
}

/**
 * Sends `head` (and `body`) on `socket` and reads one answer: until its Content-Length is complete, or the
 * server closes. `status` 0 = the connection ended without an answer. Bounded by `timeoutMs`.
 */
export function exchange(socket: Socket, head: string, body = '', timeoutMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      resolve({ ...parse(received.toString('latin1')), closed });
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const answer = parse(received.toString('latin1'));
      if (answer.status === 0) return;
      const length = Number(answer.headers['content-length'] ?? Number.NaN);
      const chunked = answer.headers['transfer-encoding'] === 'chunked';
      if (chunked ? answer.body.endsWith('0\r\n\r\n') : Buffer.byteLength(answer.body, 'latin1') >= length) {
        finish(false);
      }
    };
    const timer = setTimeout(() => {
      settled = true;
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms: ${received.toString('latin1').slice(0, 200)}`));
    }, timeoutMs);
    socket.on('data', onData);
    socket.once('close', () => finish(true));
    socket.on('error', () => {});
    socket.write(head + body);
  });
}

/** `GET path` on `socket`, keep-alive. */
export function get(socket: Socket, path: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return exchange(socket, `GET ${path} HTTP/1.1\r\nhost: localhost\r\n${lines.join('')}\r\n`);
}

/** A connection that has been served one `/healthz` and stays open (keep-alive): counted for sure. */
export async function heldConnection(baseUrl: string, localAddress: string, ca?: Buffer): Promise<Socket> {
  const socket = await connectFrom(baseUrl, localAddress, ca);
  const answer = await get(socket, '/healthz');
  if (answer.status !== 200 || answer.closed || answer.headers.connection === 'close') {
    throw new Error(`expected /healthz on a kept connection, got ${answer.status} ${answer.headers.connection}`);
  }
  return socket;
}

/** Resolves when `socket` closes; rejects after `timeoutMs`. */
export function closedWithin(socket: Socket, timeoutMs: number): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${timeoutMs} ms`)), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function parse(text: string): Omit<RawAnswer, 'closed'> {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: '' };
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: text.slice(end + 4) };
}
