/**
 * REST with fetch, as the proto's `google.api.http` rules describe each rpc (read here from the generated
 * descriptor, not from the server's router): path variables from the request's fields, the rest in a JSON
 * body (`body: "*"`) or as query parameters (`sort.field=…`). An error is the HTTP status plus the body's
 * numeric `code` (google.rpc.Status), which must agree with each other. EventService.Stream is read as
 * server-sent events (each `id:` must be the event's position), PeerService.Stream as newline-delimited
 * JSON, so both stream formats are covered.
 */
import { getOption, hasOption } from '@bufbuild/protobuf';
import { http } from '../../../src/generated/google/api/annotations_pb.js';
import {
  type CallResult,
  Channel,
  type ConformanceTransport,
  codeName,
  type Json,
  type JsonObject,
  normalizeMessage,
  type Rpc,
  rpcDescriptor,
  StreamError,
  type StreamRpc,
  type UnaryRpc,
} from './transport.js';

/** The HTTP status of each gRPC code, as google.rpc.Code documents it. */
const HTTP_STATUS: Readonly<Record<string, number>> = {
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
};

interface HttpRequest {
  method: string;
  path: string;
  body?: string;
}

/** The HTTP request of an rpc call by its http rule. */
export function httpRequest(rpc: Rpc, request: JsonObject): HttpRequest {
  const desc = rpcDescriptor(rpc);
  if (!hasOption(desc, http)) throw new Error(`${rpc} has no google.api.http rule`);
  const rule = getOption(desc, http);
  if (rule.pattern.case === undefined || rule.pattern.case === 'custom') throw new Error(`${rpc}: unsupported rule`);
  const rest: JsonObject = { ...request };
  const path = rule.pattern.value.replace(/\{([\w.]+)\}/g, (_m, field: string) => {
    const value = rest[field] ?? '';
    delete rest[field];
    return encodeURIComponent(String(value));
  });
  const method = rule.pattern.case.toUpperCase();
  if (rule.body === '*') return { method, path, body: JSON.stringify(rest) };
  if (rule.body !== '') throw new Error(`${rpc}: only body "*" or none is supported here`);
  const query = new URLSearchParams();
  const add = (prefix: string, value: Json) => {
    if (value === null) return;
    if (Array.isArray(value)) for (const item of value) add(prefix, item);
    else if (typeof value === 'object') for (const [k, v] of Object.entries(value)) add(`${prefix}.${k}`, v);
    else query.append(prefix, String(value));
  };
  for (const [k, v] of Object.entries(rest)) add(k, v);
  const search = query.toString();
  return { method, path: search ? `${path}?${search}` : path };
}

/** The error of a non-2xx answer: the body's code, checked against the HTTP status. */
function errorOf(status: number, text: string): { code: string; message: string } {
  let body: { code?: unknown; message?: unknown; details?: unknown } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    return { code: `HTTP_${status}`, message: `not a JSON error body: ${text.slice(0, 200)}` };
  }
  if (typeof body?.code !== 'number' || typeof body.message !== 'string' || !Array.isArray(body.details)) {
    return { code: `HTTP_${status}`, message: `not a google.rpc.Status body: ${text.slice(0, 200)}` };
  }
  const code = codeName(body.code);
  // A status that disagrees with the code is a difference of its own: it shows in the code.
  return { code: HTTP_STATUS[code] === status ? code : `${code}(HTTP ${status})`, message: body.message };
}

export function restTransport(baseUrl: string): ConformanceTransport {
  return {
    name: 'rest',
    async call(rpc: UnaryRpc, request: JsonObject): Promise<CallResult> {
      const desc = rpcDescriptor(rpc);
      const req = httpRequest(rpc, request);
      const res = await fetch(`${baseUrl}${req.path}`, {
        method: req.method,
        headers: req.body === undefined ? {} : { 'content-type': 'application/json' },
        body: req.body,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      if (!res.ok) return { ok: false, ...errorOf(res.status, text) };
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return { ok: true, response: { $bad: 'JSON body', value: text.slice(0, 200) } };
      }
      return { ok: true, response: normalizeMessage(desc.output, json) };
    },
    stream(rpc: StreamRpc, request: JsonObject) {
      const desc = rpcDescriptor(rpc);
      const req = httpRequest(rpc, request);
      const sse = rpc === '/stategate.EventService/Stream';
      const items = new Channel<Json>();
      const abort = new AbortController();
      const item = (data: string, id: string | undefined) => {
        const json = JSON.parse(data) as Record<string, unknown>;
        if (sse && id !== json.position) {
          throw new StreamError('SSE_ID_IS_NOT_THE_POSITION', `id ${id}, position ${String(json.position)}`);
        }
        items.push(normalizeMessage(desc.output, json));
      };
      const failed = (body: string) => {
        const { code, message } = JSON.parse(body) as { code: number; message: string };
        throw new StreamError(codeName(code), message);
      };
      (async () => {
        const res = await fetch(`${baseUrl}${req.path}`, {
          headers: { accept: sse ? 'text/event-stream' : 'application/x-ndjson' },
          signal: abort.signal,
        });
        if (!res.ok) {
          const { code, message } = errorOf(res.status, await res.text());
          throw new StreamError(code, message);
        }
        const type = res.headers.get('content-type') ?? '';
        if (!type.startsWith(sse ? 'text/event-stream' : 'application/x-ndjson')) {
          throw new StreamError('WRONG_CONTENT_TYPE', type);
        }
        const decoder = new TextDecoder();
        let pending = '';
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          pending += decoder.decode(chunk, { stream: true });
          const parts = pending.split(sse ? '\n\n' : '\n');
          pending = parts.pop() ?? '';
          for (const part of parts) {
            if (!sse) {
              if (part.trim() === '') continue;
              const line = JSON.parse(part) as Record<string, unknown>;
              if (line.error !== undefined) failed(JSON.stringify(line.error));
              else items.push(normalizeMessage(desc.output, line));
              continue;
            }
            let id: string | undefined;
            let event = 'message';
            const data: string[] = [];
            for (const line of part.split('\n')) {
              if (line.startsWith(':') || line === '') continue;
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'id') id = value;
              else if (field === 'event') event = value;
              else if (field === 'data') data.push(value);
            }
            if (data.length === 0) continue;
            if (event === 'error') failed(data.join('\n'));
            else item(data.join('\n'), id);
          }
        }
        items.end();
      })().catch((err: unknown) => {
        if (abort.signal.aborted) items.end();
        else if (err instanceof StreamError) items.end(err);
        else items.end(new StreamError('CLIENT_ERROR', err instanceof Error ? err.message : String(err)));
        abort.abort();
      });
      return {
        items,
        close() {
          abort.abort();
          items.end();
        },
      };
    },
    async close() {},
  };
}
