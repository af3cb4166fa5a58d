import { resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * gRPC through @grpc/grpc-js and @grpc/proto-loader: an implementation independent of the server's
 * (connect-es, protobuf-es), loading the proto files at run time as any third-party client would.
 */

const root = resolve(import.meta.dirname, '../..');
export const STATEGATE_PROTO = resolve(root, 'proto/stategate.proto');
/** The original stategate API without this version's additions (test/fixtures). */
export const ORIGINAL_PROTO = resolve(root, 'test/fixtures/stategate_original.proto');

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** google.protobuf.Struct / Value as proto-loader reads and writes them (`oneofs: true` adds `kind`). */
export interface GrpcStruct {
  fields: Record<string, GrpcValue>;
}
export interface GrpcValue {
  kind?: string;
  nullValue?: string | number;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: GrpcStruct;
  listValue?: { values: GrpcValue[] };
}

export function toStruct(json: { [key: string]: Json }): GrpcStruct {
  return { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, toValue(v)])) };
}

export function toValue(json: Json): GrpcValue {
  if (json === null) return { nullValue: 'NULL_VALUE' };
  if (typeof json === 'number') return { numberValue: json };
  if (typeof json === 'string') return { stringValue: json };
  if (typeof json === 'boolean') return { boolValue: json };
  if (Array.isArray(json)) return { listValue: { values: json.map(toValue) } };
  return { structValue: toStruct(json) };
}

export function fromStruct(struct: GrpcStruct | null | undefined): { [key: string]: Json } | null {
  if (!struct) return null;
  return Object.fromEntries(Object.entries(struct.fields ?? {}).map(([k, v]) => [k, fromValue(v)]));
}

export function fromValue(value: GrpcValue | null | undefined): Json {
  switch (value?.kind) {
    case 'numberValue':
      return value.numberValue ?? 0;
    case 'stringValue':
      return value.stringValue ?? '';
    case 'boolValue':
      return value.boolValue ?? false;
    case 'structValue':
      return fromStruct(value.structValue);
    case 'listValue':
      return (value.listValue?.values ?? []).map(fromValue);
    default:
      return null;
  }
}

/** Loads a stategate proto as a grpc-js client would: names as in the proto, int64 as strings. */
export function loadStategate(protoFile = STATEGATE_PROTO): grpc.GrpcObject {
  const definition = protoLoader.loadSync(protoFile, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [resolve(root, 'proto')],
  });
  return grpc.loadPackageDefinition(definition);
}

type Callback = (err: grpc.ServiceError | null, value?: unknown) => void;
type UnaryFn = (request: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback) => void;
type StreamFn = (
  request: unknown,
  metadata: grpc.Metadata,
  options?: grpc.CallOptions,
) => grpc.ClientReadableStream<unknown>;

/** The items of a server stream as they arrive, and how it ended. */
export interface CollectedStream<T> {
  call: grpc.ClientReadableStream<T>;
  items: T[];
  /** Resolves once `count` items arrived; rejects if the stream ends first or `timeoutMs` passes. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  /** Resolves with the status the stream ended with (OK, or the error's code and details). */
  ended: Promise<{ code: grpc.status; details: string }>;
  cancel(): void;
}

/** A grpc-js channel to one server, with a client per stategate service of the loaded proto. */
export class GrpcClient {
  private readonly clients = new Map<string, grpc.Client>();

  constructor(
    address: string,
    options: { proto?: string; credentials?: grpc.ChannelCredentials; channelOptions?: grpc.ChannelOptions } = {},
  ) {
    const pkg = loadStategate(options.proto).stategate as grpc.GrpcObject;
    const credentials = options.credentials ?? grpc.credentials.createInsecure();
    for (const [name, ctor] of Object.entries(pkg)) {
      if (typeof ctor === 'function' && 'service' in ctor) {
        const Client = ctor as grpc.ServiceClientConstructor;
        this.clients.set(name, new Client(address, credentials, options.channelOptions ?? {}));
      }
    }
  }

  private method<F>(service: string, method: string): F {
    const client = this.clients.get(service);
    if (!client) throw new Error(`no service ${service} in the loaded proto`);
    const fn = (client as unknown as Record<string, unknown>)[method];
    if (typeof fn !== 'function') throw new Error(`no method ${service}.${method} in the loaded proto`);
    return (fn as (...args: unknown[]) => unknown).bind(client) as F;
  }

  /** A unary call; rejects with the grpc-js ServiceError (`code`, `details`). */
  call<T = Record<string, unknown>>(
    service: string,
    method: string,
    request: unknown,
    metadata: Record<string, string> = {},
  ): Promise<T> {
    const fn = this.method<UnaryFn>(service, method);
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(metadata)) md.set(k, v);
    return new Promise<T>((resolve, reject) => {
      fn(request, md, { deadline: Date.now() + 20_000 }, (err, value) => (err ? reject(err) : resolve(value as T)));
    });
  }

  /** Opens a server stream and collects its items. */
  stream<T = Record<string, unknown>>(
    service: string,
    method: string,
    request: unknown,
    metadata: Record<string, string> = {},
  ): CollectedStream<T> {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(metadata)) md.set(k, v);
    const call = this.method<StreamFn>(service, method)(request, md) as grpc.ClientReadableStream<T>;
    const items: T[] = [];
    let wake: (() => void) | null = null;
    let finished = false;
    const ended = new Promise<{ code: grpc.status; details: string }>((resolve) => {
      call.on('status', (s: grpc.StatusObject) => {
        finished = true;
        resolve({ code: s.code, details: s.details });
        wake?.();
      });
    });
    call.on('error', () => {}); // the status carries it
    call.on('data', (item: T) => {
      items.push(item);
      wake?.();
    });
    const waitFor = async (count: number, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (items.length < count) {
        if (finished)
          throw new Error(`stream ended with ${items.length} of ${count} items: ${JSON.stringify(await ended)}`);
        if (Date.now() > deadline) throw new Error(`timed out with ${items.length} of ${count} items`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
        wake = null;
      }
    };
    return { call, items, waitFor, ended, cancel: () => call.cancel() };
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
  }
}

/** Asserts that a call fails with a gRPC status code; resolves with the error's details. */
export async function grpcError(call: Promise<unknown>, code: grpc.status): Promise<string> {
  const err = await call.then(
    (value) => {
      throw new Error(`expected gRPC status ${grpc.status[code]}, got an answer: ${JSON.stringify(value)}`);
    },
    (e: grpc.ServiceError) => e,
  );
  expect({ code: grpc.status[err.code] ?? err.code, details: err.details }).toEqual({
    code: grpc.status[code],
    details: expect.any(String),
  });
  return err.details;
}

export { grpc };
