import { type IncomingHttpHeaders, request } from 'node:http';
import { type ClientHttp2Session, type IncomingHttpHeaders as H2Headers, connect as h2connect } from 'node:http2';
import { connect as tcpConnect } from 'node:net';

/**
 * Raw clients for the abuse catalogue: what a hostile client sends, byte for byte. node:http with
 * agent: false (a fresh connection per request, the path sent as given — no `..` normalization, no
 * forbidden headers as fetch has), node:http2 with prior knowledge, and plain TCP.
 */

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined. */
  json: unknown;
}

export interface RawRequest {
  method?: string;
  /** Sent exactly as written (percent-encoding, `..`, empty segments are not touched). */
  path: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  /** Default 10 s: a case that hangs fails instead of stalling the file. */
  timeoutMs?: number;
  localAddress?: string;
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One HTTP/1.1 request on its own connection. Rejects on a reset or a timeout (both are failures). */
export function http1(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const timeoutMs = req.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers };
    const named = (name: string) => Object.keys(headers).some((h) => h.toLowerCase() === name);
    if (req.body !== undefined && !named('content-length') && !named('transfer-encoding')) {
      headers['content-length'] = Buffer.byteLength(req.body);
    }
    const r = request(
      {
        host: hostname,
        port,
        method: req.method ?? 'GET',
        path: req.path,
        headers,
        agent: false,
        localAddress: req.localAddress,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parseJson(text) });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      },
    );
    const timer = setTimeout(() => {
      r.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    r.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    r.end(req.body);
  });
}

export interface H2Response {
  status: number;
  headers: H2Headers;
  trailers: H2Headers;
  body: Buffer;
  text: string;
  json: unknown;
}

/** One HTTP/2 request (h2c prior knowledge) on `session`, or on a session of its own. */
export async function http2(baseUrl: string, req: RawRequest, session?: ClientHttp2Session): Promise<H2Response> {
  const own = session ?? h2connect(baseUrl);
  const timeoutMs = req.timeoutMs ?? 10_000;
  try {
    return await new Promise<H2Response>((resolve, reject) => {
      own.once('error', reject);
      const headers: Record<string, string | number> = { ':method': req.method ?? 'POST', ':path': req.path };
      for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
      const stream = own.request(headers);
      let status = 0;
      let responseHeaders: H2Headers = {};
      let trailers: H2Headers = {};
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        stream.close();
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      stream.on('response', (h) => {
        status = Number(h[':status']);
        responseHeaders = h;
      });
      stream.on('trailers', (t) => {
        trailers = t;
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        clearTimeout(timer);
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        resolve({ status, headers: responseHeaders, trailers, body, text, json: parseJson(text) });
      });
      stream.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      stream.end(req.body);
    });
  } finally {
    if (!session) own.close();
  }
}

/**
 * Writes raw bytes on a TCP connection and answers everything the server sent until it closed the
 * connection or `timeoutMs` passed (then `closedByServer` is false).
 */
export function tcp(
  baseUrl: string,
  bytes: Buffer | string,
  timeoutMs = 5000,
): Promise<{ text: string; closedByServer: boolean }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(Number(port), hostname, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedByServer: false });
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedByServer: true });
    });
    socket.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code === 'ECONNRESET') return;
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** A gRPC / gRPC-Web / Connect-streaming envelope: flags byte, big-endian length, message. */
export function envelope(message: Buffer, flags = 0, declaredLength = message.length): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([head, message]);
}

/** protobuf bytes of a message of string fields: `[[fieldNumber, value], …]` (values shorter than 128 bytes). */
export function protoStrings(fields: Array<[number, string]>): Buffer {
  return Buffer.concat(
    fields.map(([field, value]) => {
      const bytes = Buffer.from(value, 'utf8');
      if (bytes.length > 127) throw new Error('protoStrings: value too long for a one-byte length');
      return Buffer.concat([Buffer.from([(field << 3) | 2, bytes.length]), bytes]);
    }),
  );
}
