import { type Socket, connect as tcpConnect } from 'node:net';

/**
 * A raw HTTP/2 client that writes frames itself, for the attacks a well-behaved client library will not
 * make: opening more streams than SETTINGS_MAX_CONCURRENT_STREAMS allows, and opening-and-cancelling
 * streams as fast as the socket takes them (rapid reset, CVE-2023-44487). It answers the server's
 * SETTINGS and records every frame the server sends.
 */

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8 } as const;
export const H2_ERROR = {
  NO_ERROR: 0,
  PROTOCOL_ERROR: 1,
  CANCEL: 8,
  REFUSED_STREAM: 7,
  ENHANCE_YOUR_CALM: 11,
} as const;
const SETTINGS_MAX_CONCURRENT_STREAMS = 3;

export interface ServerFrame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head.writeUInt8(type, 3);
  head.writeUInt8(flags, 4);
  head.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK "literal without indexing" of a header whose name is in the static table (RFC 7541 §6.2.2). */
function literal(nameIndex: number, value: string): Buffer {
  const bytes = Buffer.from(value, 'latin1');
  if (bytes.length > 126) throw new Error('header value too long for this encoder');
  return Buffer.concat([
    Buffer.from([nameIndex < 15 ? nameIndex : 0x0f, ...(nameIndex < 15 ? [] : [nameIndex - 15])]),
    Buffer.from([bytes.length]),
    bytes,
  ]);
}

/** A request's header block: GET, http, the path and authority, and an Accept (static-table names). */
export function requestHeaders(path: string, authority: string, accept = '*/*'): Buffer {
  return Buffer.concat([
    Buffer.from([0x82, 0x86]), // :method GET, :scheme http (indexed)
    literal(4, path), // :path
    literal(1, authority), // :authority
    literal(19, accept), // accept
  ]);
}

export interface RawH2 {
  socket: Socket;
  frames: ServerFrame[];
  /** The server's SETTINGS_MAX_CONCURRENT_STREAMS, once its SETTINGS arrived. */
  maxConcurrentStreams(): number | undefined;
  /** Sends HEADERS (END_STREAM | END_HEADERS) opening stream `id` (odd, increasing). */
  open(id: number, headerBlock: Buffer): void;
  /** Sends RST_STREAM CANCEL for stream `id`. */
  cancel(id: number): void;
  /** Resolves when the server closed the connection, or after `timeoutMs` (then false). */
  closed(timeoutMs: number): Promise<boolean>;
  goaway(): { errorCode: number } | undefined;
  destroy(): void;
}

export function rawH2(baseUrl: string, localAddress?: string): Promise<RawH2> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const frames: ServerFrame[] = [];
    let pending = Buffer.alloc(0);
    let maxStreams: number | undefined;
    let isClosed = false;
    const closeWaiters: Array<() => void> = [];
    const socket = tcpConnect({ host: hostname, port: Number(port), localAddress }, () => {
      socket.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0, Buffer.alloc(0))]));
      resolve(client);
    });
    socket.on('error', (err) => {
      if (!client.socket.writable) return;
      reject(err);
    });
    socket.on('close', () => {
      isClosed = true;
      for (const w of closeWaiters.splice(0)) w();
    });
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 9) {
        const length = pending.readUIntBE(0, 3);
        if (pending.length < 9 + length) break;
        const f: ServerFrame = {
          type: pending.readUInt8(3),
          flags: pending.readUInt8(4),
          stream: pending.readUInt32BE(5) & 0x7fffffff,
          payload: pending.subarray(9, 9 + length),
        };
        pending = pending.subarray(9 + length);
        frames.push(f);
        if (f.type === FRAME.SETTINGS && (f.flags & 1) === 0) {
          for (let i = 0; i + 6 <= f.payload.length; i += 6) {
            if (f.payload.readUInt16BE(i) === SETTINGS_MAX_CONCURRENT_STREAMS)
              maxStreams = f.payload.readUInt32BE(i + 2);
          }
          if (!socket.destroyed) socket.write(frame(FRAME.SETTINGS, 1, 0, Buffer.alloc(0)));
        }
        if (f.type === FRAME.PING && (f.flags & 1) === 0 && !socket.destroyed)
          socket.write(frame(FRAME.PING, 1, 0, f.payload));
      }
    });
    const client: RawH2 = {
      socket,
      frames,
      maxConcurrentStreams: () => maxStreams,
      open(id, block) {
        if (!socket.destroyed) socket.write(frame(FRAME.HEADERS, 0x5, id, block));
      },
      cancel(id) {
        const code = Buffer.alloc(4);
        code.writeUInt32BE(H2_ERROR.CANCEL);
        if (!socket.destroyed) socket.write(frame(FRAME.RST_STREAM, 0, id, code));
      },
      closed(timeoutMs) {
        if (isClosed) return Promise.resolve(true);
        return new Promise((done) => {
          const timer = setTimeout(() => done(false), timeoutMs);
          closeWaiters.push(() => {
            clearTimeout(timer);
            done(true);
          });
        });
      },
      goaway() {
        const g = frames.find((f) => f.type === FRAME.GOAWAY);
        return g ? { errorCode: g.payload.readUInt32BE(4) } : undefined;
      },
      destroy: () => socket.destroy(),
    };
  });
}
