/**
 * Connect with connect-es' own Node client (@connectrpc/connect-node `createConnectTransport`) over
 * HTTP/1.1, with the generated descriptors of src/generated. Connect speaks its JSON codec here (the
 * server's protojson path); gRPC-Web (grpc-web.ts) shares this adapter with the binary codec.
 */
import {
  type DescMessage,
  type DescMethod,
  type DescService,
  fromJson,
  type JsonValue,
  toJson,
} from '@bufbuild/protobuf';
import { ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import {
  type CallResult,
  Channel,
  type ConformanceTransport,
  codeName,
  type Json,
  type JsonObject,
  normalizeMessage,
  rpcDescriptor,
  StreamError,
  type StreamRpc,
  type UnaryRpc,
} from './transport.js';

function failure(err: unknown): { code: string; message: string } {
  if (err instanceof ConnectError) return { code: codeName(err.code), message: err.rawMessage };
  return { code: 'CLIENT_ERROR', message: err instanceof Error ? err.message : String(err) };
}

/** A ConformanceTransport over any connect-es transport (Connect, gRPC-Web). */
export function connectEsTransport(name: string, transport: Transport): ConformanceTransport {
  const clients = new Map<DescService, Record<string, unknown>>();
  /** The generated client's method for an rpc (createClient over the service's descriptor). */
  const method = <F>(desc: DescMethod): F => {
    let client = clients.get(desc.parent);
    if (!client) {
      client = createClient(desc.parent, transport) as unknown as Record<string, unknown>;
      clients.set(desc.parent, client);
    }
    return client[desc.localName] as F;
  };
  type Unary = (request: unknown, options: { timeoutMs: number }) => Promise<unknown>;
  type ServerStream = (request: unknown, options: { signal: AbortSignal }) => AsyncIterable<unknown>;
  const toMessage = (schema: DescMessage, json: JsonObject) => fromJson(schema, json as JsonValue);
  return {
    name,
    async call(rpc: UnaryRpc, request: JsonObject): Promise<CallResult> {
      const desc = rpcDescriptor(rpc);
      try {
        const response = await method<Unary>(desc)(toMessage(desc.input, request), { timeoutMs: 10_000 });
        return { ok: true, response: normalizeMessage(desc.output, toJson(desc.output, response as never)) };
      } catch (err) {
        return { ok: false, ...failure(err) };
      }
    },
    stream(rpc: StreamRpc, request: JsonObject) {
      const desc = rpcDescriptor(rpc);
      const fn = method<ServerStream>(desc);
      const items = new Channel<Json>();
      const abort = new AbortController();
      (async () => {
        try {
          for await (const item of fn(toMessage(desc.input, request), { signal: abort.signal })) {
            items.push(normalizeMessage(desc.output, toJson(desc.output, item as never)));
          }
          items.end();
        } catch (err) {
          if (abort.signal.aborted) items.end();
          else {
            const { code, message } = failure(err);
            items.end(new StreamError(code, message));
          }
        }
      })();
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

/** Connect over HTTP/1.1 with the JSON codec. */
export function connectTransport(baseUrl: string): ConformanceTransport {
  return connectEsTransport('connect', createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: false }));
}
