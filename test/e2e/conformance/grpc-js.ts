/**
 * gRPC through @grpc/grpc-js and @grpc/proto-loader over h2c: an implementation independent of the
 * server's (connect-es, protobuf-es) that loads proto/stategate.proto at run time as a third-party client
 * would. Requests go from protojson to proto-loader's objects (Struct as `fields`, Timestamp as
 * seconds/nanos); answers come back the same way round.
 */
import type { DescMessage } from '@bufbuild/protobuf';
import { type GrpcStruct, type GrpcValue, grpc, loadStategate, toStruct, toValue } from '../../support/grpc.js';
import {
  Channel,
  type ConformanceTransport,
  codeName,
  formatTimestamp,
  type Json,
  type JsonObject,
  normalizeMessage,
  parseTimestamp,
  requestFields,
  rpcDescriptor,
  StreamError,
  type StreamRpc,
  type UnaryRpc,
} from './transport.js';

type Unary = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, value?: unknown) => void,
) => void;
type ServerStream = (request: unknown, metadata: grpc.Metadata) => grpc.ClientReadableStream<unknown>;

/** A protojson request as proto-loader's object: Struct/Value/Timestamp in their message form. */
export function toGrpcObject(desc: DescMessage, json: Json): unknown {
  switch (desc.typeName) {
    case 'google.protobuf.Struct':
      return toStruct(json as JsonObject);
    case 'google.protobuf.Value':
      return toValue(json);
    case 'google.protobuf.Timestamp': {
      const ts = typeof json === 'string' ? parseTimestamp(json) : undefined;
      if (!ts) throw new Error(`not an RFC 3339 time: ${JSON.stringify(json)}`);
      return { seconds: ts.seconds.toString(), nanos: ts.nanos };
    }
  }
  const out: Record<string, unknown> = {};
  for (const [field, value] of requestFields(desc, json as JsonObject)) {
    if (field.fieldKind === 'message') {
      // JSON null is google.protobuf.Value's NullValue; for any other message it leaves the field unset.
      const unset = value === null && field.message.typeName !== 'google.protobuf.Value';
      out[field.name] = unset ? null : toGrpcObject(field.message, value);
    } else if (field.fieldKind === 'list' && field.listKind === 'message') {
      out[field.name] = (value as Json[]).map((item) => toGrpcObject(field.message, item));
    } else out[field.name] = value;
  }
  return out;
}

function fromGrpcValue(value: GrpcValue | null | undefined): Json {
  switch (value?.kind) {
    case 'nullValue':
      return null;
    case 'numberValue':
      return value.numberValue ?? 0;
    case 'stringValue':
      return value.stringValue ?? '';
    case 'boolValue':
      return value.boolValue ?? false;
    case 'structValue':
      return fromGrpcStruct(value.structValue);
    case 'listValue':
      return (value.listValue?.values ?? []).map(fromGrpcValue);
    default:
      return { $bad: 'google.protobuf.Value without a kind', value: JSON.stringify(value) ?? null };
  }
}

function fromGrpcStruct(struct: GrpcStruct | null | undefined): JsonObject {
  return Object.fromEntries(Object.entries(struct?.fields ?? {}).map(([k, v]) => [k, fromGrpcValue(v)]));
}

/** A proto-loader object (keepCase, longs as strings, defaults) as protojson. */
export function fromGrpcObject(desc: DescMessage, value: unknown): Json {
  if (value === null || value === undefined) return null;
  switch (desc.typeName) {
    case 'google.protobuf.Struct':
      return fromGrpcStruct(value as GrpcStruct);
    case 'google.protobuf.Value':
      return fromGrpcValue(value as GrpcValue);
    case 'google.protobuf.Timestamp': {
      const { seconds, nanos } = value as { seconds: string; nanos: number };
      return formatTimestamp(BigInt(seconds), nanos);
    }
  }
  const object = value as Record<string, unknown>;
  const out: JsonObject = {};
  for (const [key, inner] of Object.entries(object)) {
    const field = desc.fields.find((f) => f.name === key);
    if (!field) {
      out[key] = inner as Json; // kept: normalizeMessage shows it as unknown
      continue;
    }
    if (field.fieldKind === 'message') out[key] = fromGrpcObject(field.message, inner);
    else if (field.fieldKind === 'list' && field.listKind === 'message')
      out[key] = ((inner as unknown[]) ?? []).map((item) => fromGrpcObject(field.message, item));
    else out[key] = inner as Json;
  }
  return out;
}

export function grpcJsTransport(address: string): ConformanceTransport {
  const pkg = loadStategate().stategate as grpc.GrpcObject;
  const clients = new Map<string, grpc.Client>();
  for (const [name, ctor] of Object.entries(pkg)) {
    if (typeof ctor === 'function' && 'service' in ctor) {
      const Client = ctor as grpc.ServiceClientConstructor;
      clients.set(name, new Client(address, grpc.credentials.createInsecure()));
    }
  }
  const method = <F>(rpc: string): F => {
    const [, service = '', name = ''] = /^\/stategate\.(\w+)\/(\w+)$/.exec(rpc) ?? [];
    const client = clients.get(service) as unknown as Record<string, unknown> | undefined;
    const fn = client?.[name];
    if (typeof fn !== 'function') throw new Error(`grpc-js: no method ${rpc} in the loaded proto`);
    return (fn as (...args: unknown[]) => unknown).bind(client) as F;
  };

  return {
    name: 'grpc-js',
    call(rpc: UnaryRpc, request: JsonObject) {
      const desc = rpcDescriptor(rpc);
      const fn = method<Unary>(rpc);
      return new Promise((resolve) => {
        fn(toGrpcObject(desc.input, request), new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (err, value) =>
          resolve(
            err
              ? { ok: false, code: codeName(err.code), message: err.details }
              : { ok: true, response: normalizeMessage(desc.output, fromGrpcObject(desc.output, value)) },
          ),
        );
      });
    },
    stream(rpc: StreamRpc, request: JsonObject) {
      const desc = rpcDescriptor(rpc);
      const items = new Channel<Json>();
      const call = method<ServerStream>(rpc)(toGrpcObject(desc.input, request), new grpc.Metadata());
      let closed = false;
      call.on('data', (item: unknown) => items.push(normalizeMessage(desc.output, fromGrpcObject(desc.output, item))));
      call.on('error', () => {}); // the status says how it ended
      call.on('status', (status: grpc.StatusObject) => {
        if (status.code === grpc.status.OK || (closed && status.code === grpc.status.CANCELLED)) items.end();
        else items.end(new StreamError(codeName(status.code), status.details));
      });
      return {
        items,
        close() {
          if (closed) return;
          closed = true;
          call.cancel();
          items.end();
        },
      };
    },
    async close() {
      for (const client of clients.values()) client.close();
    },
  };
}
