/**
 * GraphQL at /api/graphql: queries and mutations with fetch, subscriptions over graphql-ws. Each rpc maps
 * to its operation (the original stategate's names, one `input` argument); the selection set is every
 * field of the rpc's response message, derived from the proto, so a field GraphQL lacks fails the
 * operation. A Boolean answer stands for google.protobuf.Empty; an error's code is
 * `errors[0].extensions.code`.
 */
import type { DescMessage } from '@bufbuild/protobuf';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  type CallResult,
  Channel,
  type ConformanceTransport,
  JSON_SCALAR_TYPES,
  type Json,
  type JsonObject,
  normalizeMessage,
  type Rpc,
  rpcDescriptor,
  StreamError,
  type StreamRpc,
  type UnaryRpc,
} from './transport.js';

type Operation = { kind: 'query' | 'mutation' | 'subscription'; field: string; input: string };

/** Each rpc's GraphQL operation and input type. */
export const OPERATIONS: Readonly<Record<Rpc, Operation>> = {
  '/stategate.EntityService/Set': { kind: 'mutation', field: 'setEntity', input: 'EntityInput' },
  '/stategate.EntityService/Edit': { kind: 'mutation', field: 'editEntity', input: 'EntityInput' },
  '/stategate.EntityService/Revert': { kind: 'mutation', field: 'revertEntity', input: 'EventRefInput' },
  '/stategate.EntityService/Get': { kind: 'query', field: 'getEntity', input: 'EntityRefInput' },
  '/stategate.EntityService/Del': { kind: 'mutation', field: 'delEntity', input: 'EntityRefInput' },
  '/stategate.EntityService/Search': { kind: 'query', field: 'searchEntities', input: 'SearchEntityOpts' },
  '/stategate.EntityService/ListTypes': { kind: 'query', field: 'listTypes', input: 'ListTypesOpts' },
  '/stategate.EventService/Stream': { kind: 'subscription', field: 'streamEvents', input: 'StreamEventOpts' },
  '/stategate.EventService/Search': { kind: 'query', field: 'searchEvents', input: 'SearchEventOpts' },
  '/stategate.EventService/Get': { kind: 'query', field: 'getEvent', input: 'EventRefInput' },
  '/stategate.PeerService/Broadcast': { kind: 'mutation', field: 'broadcastMessage', input: 'MessageInput' },
  '/stategate.PeerService/Stream': { kind: 'subscription', field: 'streamMessages', input: 'StreamMessageOpts' },
  '/stategate.CacheService/Set': { kind: 'mutation', field: 'setCache', input: 'CacheInput' },
  '/stategate.CacheService/Get': { kind: 'query', field: 'getCache', input: 'CacheRefInput' },
  '/stategate.CacheService/Del': { kind: 'mutation', field: 'delCache', input: 'CacheRefInput' },
  '/stategate.MutexService/Lock': { kind: 'mutation', field: 'lockMutex', input: 'MutexInput' },
  '/stategate.MutexService/Unlock': { kind: 'mutation', field: 'unlockMutex', input: 'MutexRefInput' },
};

/** Every field of a message as a GraphQL selection set (nested messages selected in full). */
export function selection(desc: DescMessage): string {
  return desc.fields
    .map((f) => {
      const message =
        f.fieldKind === 'message' ? f.message : f.fieldKind === 'list' && f.listKind === 'message' ? f.message : null;
      return message && !JSON_SCALAR_TYPES.has(message.typeName) ? `${f.name} { ${selection(message)} }` : f.name;
    })
    .join(' ');
}

function document(rpc: Rpc): { query: string; field: string; output: DescMessage } {
  const op = OPERATIONS[rpc];
  const { output } = rpcDescriptor(rpc);
  const fields = output.typeName === 'google.protobuf.Empty' ? '' : ` { ${selection(output)} }`;
  return {
    query: `${op.kind} Conformance($input: ${op.input}!) { ${op.field}(input: $input)${fields} }`,
    field: op.field,
    output,
  };
}

/** The answer of the operation's field as the rpc's response. */
function response(output: DescMessage, value: unknown): Json {
  if (output.typeName === 'google.protobuf.Empty')
    return value === true ? {} : { $bad: 'true for Empty', value: String(value) };
  return normalizeMessage(output, value);
}

interface GraphqlError {
  message: string;
  extensions?: { code?: unknown };
}

function codeOf(errors: readonly GraphqlError[]): { code: string; message: string } {
  const [first] = errors;
  const code = first?.extensions?.code;
  // GraphQL's own errors (validation, coercion) may come without a code: that shows as a difference.
  return { code: typeof code === 'string' ? code : 'NO_CODE', message: first?.message ?? '' };
}

export function graphqlTransport(baseUrl: string): ConformanceTransport {
  const url = `${baseUrl}/api/graphql`;
  let ws: Client | undefined;
  const wsClient = () => {
    ws ??= createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, lazy: true, retryAttempts: 0 });
    return ws;
  };
  return {
    name: 'graphql',
    async call(rpc: UnaryRpc, request: JsonObject): Promise<CallResult> {
      const { query, field, output } = document(rpc);
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query, variables: { input: request } }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { data?: Record<string, unknown> | null; errors?: GraphqlError[] };
      if (body.errors?.length) return { ok: false, ...codeOf(body.errors) };
      if (res.status !== 200) return { ok: false, code: `HTTP_${res.status}`, message: JSON.stringify(body) };
      return { ok: true, response: response(output, body.data?.[field]) };
    },
    stream(rpc: StreamRpc, request: JsonObject) {
      const { query, field, output } = document(rpc);
      const items = new Channel<Json>();
      let closed = false;
      const dispose = wsClient().subscribe<Record<string, unknown>>(
        { query, variables: { input: request } },
        {
          next(value) {
            // A payload with errors is the server ending the stream (or refusing it) with a code.
            if (value.errors?.length) {
              const { code, message } = codeOf(value.errors as GraphqlError[]);
              items.end(new StreamError(code, message));
            } else items.push(response(output, value.data?.[field]));
          },
          error(err) {
            if (closed) return items.end();
            if (Array.isArray(err)) {
              const { code, message } = codeOf(err as GraphqlError[]);
              items.end(new StreamError(code, message));
            } else items.end(new StreamError('CLIENT_ERROR', err instanceof Error ? err.message : String(err)));
          },
          complete() {
            items.end();
          },
        },
      );
      return {
        items,
        close() {
          if (closed) return;
          closed = true;
          dispose();
          items.end();
        },
      };
    },
    async close() {
      await ws?.dispose();
    },
  };
}
