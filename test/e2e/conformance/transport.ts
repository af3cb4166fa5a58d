/**
 * The transport-neutral face the conformance suite drives: every rpc of proto/stategate.proto, called with
 * a protojson-like request and answered in one normalized JSON shape, whichever of the five transports
 * (gRPC through grpc-js, gRPC-Web, Connect, REST, GraphQL) carried it. The adapters beside this file map
 * each rpc onto their wire; the normalization here makes equal answers compare equal.
 */
import { type DescField, type DescMessage, type DescMethod, ScalarType } from '@bufbuild/protobuf';
import {
  CacheService,
  EntityService,
  EventService,
  MutexService,
  PeerService,
} from '../../../src/generated/stategate_pb.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** The unary rpcs, by gRPC full method name. */
export type UnaryRpc =
  | '/stategate.EntityService/Set'
  | '/stategate.EntityService/Edit'
  | '/stategate.EntityService/Revert'
  | '/stategate.EntityService/Get'
  | '/stategate.EntityService/Del'
  | '/stategate.EntityService/Search'
  | '/stategate.EntityService/ListTypes'
  | '/stategate.EventService/Search'
  | '/stategate.EventService/Get'
  | '/stategate.PeerService/Broadcast'
  | '/stategate.CacheService/Set'
  | '/stategate.CacheService/Get'
  | '/stategate.CacheService/Del'
  | '/stategate.MutexService/Lock'
  | '/stategate.MutexService/Unlock';

/** The server-streaming rpcs. */
export type StreamRpc = '/stategate.EventService/Stream' | '/stategate.PeerService/Stream';

export type Rpc = UnaryRpc | StreamRpc;

/** The services of the proto, in its order. */
export const SERVICES = [EntityService, EventService, PeerService, CacheService, MutexService] as const;

/** Every rpc's descriptor (from the generated code of proto/stategate.proto), by gRPC full method name. */
export const RPCS: ReadonlyMap<string, DescMethod> = new Map(
  SERVICES.flatMap((service) => service.methods.map((m) => [`/${service.typeName}/${m.name}`, m] as const)),
);

export function rpcDescriptor(rpc: Rpc): DescMethod {
  const method = RPCS.get(rpc);
  if (!method) throw new Error(`no rpc ${rpc} in proto/stategate.proto`);
  return method;
}

/** gRPC status code names by number (the numbers every transport carries: gRPC, Connect, REST bodies). */
export const CODE_NAMES: Readonly<Record<number, string>> = {
  0: 'OK',
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  15: 'DATA_LOSS',
  16: 'UNAUTHENTICATED',
};

export function codeName(code: number): string {
  return CODE_NAMES[code] ?? `UNKNOWN_CODE_${code}`;
}

/** The answer of a unary call: the normalized response, or the error's gRPC code name and message. */
export type CallResult = { ok: true; response: Json } | { ok: false; code: string; message: string };

/** An open server stream: its normalized items; iterating throws a StreamError when it ends with one. */
export interface StreamHandle {
  items: AsyncIterable<Json>;
  /** The client goes away (idempotent). */
  close(): void;
}

/** How a stream ended with an error: its gRPC code name. */
export class StreamError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ConformanceTransport {
  /** e.g. `grpc-js`, `rest`. */
  readonly name: string;
  /**
   * One unary call. `request` is the request message in protojson with the proto's field names
   * (`query_string`), int64 as decimal strings, Struct/Value as JSON, Timestamp as RFC 3339.
   */
  call(rpc: UnaryRpc, request: JsonObject): Promise<CallResult>;
  /** Opens a server stream (asynchronously: a refusal shows as the items' StreamError). */
  stream(rpc: StreamRpc, request: JsonObject): StreamHandle;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// A queue of stream items for one reader

/** A single-reader async queue: adapters push items and end it (with an error or not). */
export class Channel<T> implements AsyncIterable<T> {
  private readonly queue: T[] = [];
  private ended: { error?: StreamError } | undefined;
  private wake: (() => void) | undefined;

  push(item: T): void {
    if (this.ended) return;
    this.queue.push(item);
    this.wake?.();
  }

  end(error?: StreamError): void {
    if (this.ended) return;
    this.ended = error ? { error } : {};
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.queue.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.ended) {
        if (this.ended.error) throw this.ended.error;
        return;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Normalization: a response as protojson with every field present, so answers compare equal

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value that is not what protojson would carry there: kept visible, so a comparison fails on it. */
function bad(what: string, value: unknown): Json {
  let shown: Json;
  try {
    shown = JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) ?? 'undefined');
  } catch {
    shown = String(value);
  }
  return { $bad: what, value: shown };
}

/** JSON as is, checked to be JSON (finite numbers, plain objects). */
function plainJson(value: unknown): Json {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : bad('finite number', value);
  if (Array.isArray(value)) return value.map(plainJson);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainJson(v)]));
  return bad('JSON', value);
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

/** An RFC 3339 time as seconds and nanos. */
export function parseTimestamp(text: string): { seconds: bigint; nanos: number } | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const ms = Date.parse(`${match[1]}${match[3]!.toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: Number((match[2] ?? '').padEnd(9, '0')) };
}

/** The one spelling of an instant the suite compares: UTC, nine fraction digits. */
export function formatTimestamp(seconds: bigint, nanos: number): string {
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${base}.${String(nanos).padStart(9, '0')}Z`;
}

function normalizeTimestamp(value: unknown): Json {
  if (typeof value !== 'string') return bad('RFC 3339 string', value);
  const ts = parseTimestamp(value);
  return ts ? formatTimestamp(ts.seconds, ts.nanos) : bad('RFC 3339 string', value);
}

const INT64 = new Set([
  ScalarType.INT64,
  ScalarType.UINT64,
  ScalarType.SINT64,
  ScalarType.FIXED64,
  ScalarType.SFIXED64,
]);

function normalizeScalar(scalar: ScalarType, value: unknown): Json {
  if (INT64.has(scalar)) {
    // protojson writes 64-bit integers as decimal strings; a JSON number would lose precision.
    if (value === undefined || value === null) return '0';
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value).toString();
    return bad('int64 as a decimal string', value);
  }
  switch (scalar) {
    case ScalarType.STRING:
      if (value === undefined || value === null) return '';
      return typeof value === 'string' ? value : bad('string', value);
    case ScalarType.BOOL:
      if (value === undefined || value === null) return false;
      return typeof value === 'boolean' ? value : bad('bool', value);
    case ScalarType.BYTES:
      if (value === undefined || value === null) return '';
      return typeof value === 'string' ? value : bad('base64 string', value);
    default:
      if (value === undefined || value === null) return 0;
      return typeof value === 'number' ? value : bad('number', value);
  }
}

function normalizeField(field: DescField, value: unknown): Json {
  switch (field.fieldKind) {
    case 'list': {
      if (value === undefined || value === null) return [];
      if (!Array.isArray(value)) return bad('list', value);
      return value.map((item) =>
        field.listKind === 'message'
          ? normalizeMessage(field.message, item)
          : field.listKind === 'scalar'
            ? normalizeScalar(field.scalar, item)
            : plainJson(item),
      );
    }
    case 'scalar':
      return normalizeScalar(field.scalar, value);
    case 'message':
      // An unset message field; for google.protobuf.Value, JSON null (NullValue) reads the same.
      if (value === undefined || value === null) return null;
      return normalizeMessage(field.message, value);
    case 'enum':
      return value === undefined || value === null ? 0 : plainJson(value);
    case 'map':
      return isObject(value) ? plainJson(value) : value === undefined ? {} : bad('map', value);
  }
}

/**
 * A message in protojson (either field name accepted) as the suite compares it: every field present under
 * its proto name, defaults filled in (protojson leaves them out), int64 as decimal strings, Struct and
 * Value as JSON, Timestamp in one spelling, Empty as {}. Anything protojson would not carry — a number for
 * an int64, a field the message does not have — stays visible as `{$bad}` / `$unknown:` so it cannot pass.
 */
export function normalizeMessage(desc: DescMessage, value: unknown): Json {
  switch (desc.typeName) {
    case 'google.protobuf.Empty':
      return isObject(value) && Object.keys(value).length === 0 ? {} : bad('{}', value);
    case 'google.protobuf.Struct':
      return isObject(value) ? plainJson(value) : bad('JSON object', value);
    case 'google.protobuf.Value':
      return plainJson(value);
    case 'google.protobuf.Timestamp':
      return normalizeTimestamp(value);
  }
  if (!isObject(value)) return bad(desc.typeName, value);
  const out: JsonObject = {};
  const seen = new Set<string>();
  for (const field of desc.fields) {
    const key = Object.hasOwn(value, field.name)
      ? field.name
      : Object.hasOwn(value, field.jsonName)
        ? field.jsonName
        : '';
    if (key) seen.add(key);
    out[field.name] = normalizeField(field, key ? value[key] : undefined);
  }
  for (const key of Object.keys(value)) if (!seen.has(key)) out[`$unknown:${key}`] = plainJson(value[key]);
  return out;
}

/** The fields of a request object, checked against the message (a typo in a scenario fails loudly). */
export function requestFields(desc: DescMessage, request: JsonObject): Array<[DescField, Json]> {
  return Object.entries(request).map(([name, value]) => {
    const field = desc.fields.find((f) => f.name === name || f.jsonName === name);
    if (!field) throw new Error(`${desc.typeName} has no field ${name}`);
    return [field, value] as [DescField, Json];
  });
}

/** The WKTs whose JSON form is a scalar (GraphQL scalars JSON / DateTime, protojson strings / values). */
export const JSON_SCALAR_TYPES = new Set([
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
  'google.protobuf.Timestamp',
]);
