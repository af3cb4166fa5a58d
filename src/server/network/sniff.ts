import type { Socket } from 'node:net';

const PREFACE_START = Buffer.from('PRI * HTTP/2.0');

/**
 * Reads just enough of a cleartext connection to tell h2c prior knowledge (the connection preface
 * `PRI * HTTP/2.0`) from HTTP/1.1, then hands the socket on with those bytes put back. A connection that
 * has not told within `timeoutMs` (sends nothing, or trickles the preface) is closed: neither HTTP server
 * sees it yet, so their own timeouts would not.
 */
export function sniffProtocol(socket: Socket, timeoutMs: number, handOver: (protocol: 'h1' | 'h2') => void): void {
  let seen = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  timer.unref();
  const onData = (chunk: Buffer) => {
    seen = Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, PREFACE_START.length);
    const isH2 = seen.subarray(0, n).equals(PREFACE_START.subarray(0, n));
    if (isH2 && seen.length < PREFACE_START.length) return;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('error', onError);
    socket.off('close', onClose);
    socket.pause();
    socket.unshift(seen);
    // http2 takes the bytes already read from the socket's buffer itself; http1 reads them once resumed.
    if (isH2) {
      handOver('h2');
    } else {
      handOver('h1');
      socket.resume();
    }
  };
  const onError = () => socket.destroy();
  const onClose = () => clearTimeout(timer);
  socket.on('data', onData);
  socket.on('error', onError);
  socket.on('close', onClose);
}
