/**
 * HTTP request → request message, by the transcoding convention of `google.api.http`: the path's
 * variables give their fields; with `body: "*"` the JSON body gives the rest, otherwise the query string
 * does (`?query_string=…&limit=10&sort.field=time`). JSON is protojson, read strictly (an unknown field is
 * an error, proto and camelCase names both accepted; integers canonical only, see canonical-integer.ts). A
 * path variable wins over the same field elsewhere.
 */
import {
  type DescField,
  type DescMessage,
  fromJson,
  type JsonObject,
  type JsonValue,
  ScalarType,
} from '@bufbuild/protobuf';
import { invalid } from '../../core/errors.js';
import { readBodyUpTo } from '../http/read-body.js';
import { checkJsonIntegers } from '../proto/strict-json.js';
import type { RestRoute } from './routes.js';
import { RestError } from './status.js';

export interface DecodeLimits {
  /** The largest request body read, in bytes; larger is 413 RESOURCE_EXHAUSTED. */
  maxBodyBytes: number;
  /** The deepest JSON nesting accepted in a body (core checks values' own depth; this bounds the parse). */
  maxJsonDepth: number;
}

/** Reads the request into the rpc's input message. Bad input throws INVALID_ARGUMENT (or 413 / 415). */
export async function decodeRequest(
  route: RestRoute,
  request: Request,
  url: URL,
  params: Readonly<Record<string, string>>,
  limits: DecodeLimits,
) {
  const input = route.rpc.input;
  const json: JsonObject = {};
  if (route.body === '') {
    await expectNoBody(request, limits);
  } else {
    const body = await readJsonBody(request, limits);
    if (route.body === '*') {
      if (body === undefined) {
        // An empty body is an empty message (e.g. POST …/unlock with nothing to add).
      } else if (isObject(body)) {
        Object.assign(json, body);
      } else {
        throw invalid('the request body must be a JSON object');
      }
    } else if (body !== undefined) {
      json[fieldByName(input, route.body, 'body field').jsonName] = body;
    }
  }
  if (route.body !== '*') {
    mergeQuery(input, url.searchParams, json);
  } else if (url.search !== '' && url.search !== '?') {
    throw invalid(`${route.verb} ${route.template.source} takes its fields in the JSON body, not the query string`);
  }
  for (const [path, value] of Object.entries(params)) setPathField(input, json, path, value);
  // fromJson reads "0x10", " 1" and "1e1" as integers; only canonical ones get that far.
  checkJsonIntegers(input, json);
  try {
    return fromJson(input, json, { ignoreUnknownFields: false });
  } catch (err) {
    throw invalid(err instanceof Error ? err.message : String(err));
  }
}

// ---------------------------------------------------------------------------------------------------
// Body

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

function mediaType(request: Request): string | undefined {
  const header = request.headers.get('content-type');
  return header === null ? undefined : (header.split(';', 1)[0] ?? '').trim().toLowerCase();
}

/** The parsed JSON body, or undefined for an empty one. */
async function readJsonBody(request: Request, limits: DecodeLimits): Promise<JsonValue | undefined> {
  const type = mediaType(request);
  const declared = declaredLength(request, limits);
  if (type !== undefined && !JSON_MEDIA_TYPE.test(type)) {
    throw new RestError('INVALID_ARGUMENT', `content-type must be application/json, not ${type}`, 415);
  }
  if (declared === 0) return undefined;
  const bytes = await readBody(request, limits.maxBodyBytes);
  if (bytes.length === 0) return undefined;
  if (type === undefined) throw new RestError('INVALID_ARGUMENT', 'content-type must be application/json', 415);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalid('the request body is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid(`malformed JSON in the request body: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (nestedDeeperThan(parsed, limits.maxJsonDepth)) {
    throw invalid(`the request body is nested deeper than ${limits.maxJsonDepth} levels`);
  }
  return parsed as JsonValue;
}

/** A GET or DELETE route takes no body: one that came anyway is refused rather than silently ignored. */
async function expectNoBody(request: Request, limits: DecodeLimits): Promise<void> {
  if (declaredLength(request, limits) === 0 || request.body === null) return;
  const bytes = await readBody(request, limits.maxBodyBytes);
  if (bytes.length > 0) throw invalid('this route takes no request body; give the fields as query parameters');
}

function tooLarge(limit: number): RestError {
  return new RestError('RESOURCE_EXHAUSTED', `the request body is larger than ${limit} bytes`, 413);
}

/** The Content-Length, if declared; larger than the limit is refused before reading a byte. */
function declaredLength(request: Request, limits: DecodeLimits): number | undefined {
  const header = request.headers.get('content-length');
  if (header === null) return undefined;
  const length = Number(header);
  if (!Number.isSafeInteger(length) || length < 0) throw invalid('malformed content-length');
  if (length > limits.maxBodyBytes) throw tooLarge(limits.maxBodyBytes);
  return length;
}

async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const bytes = await readBodyUpTo(request, limit);
  if (bytes === null) throw tooLarge(limit);
  return bytes;
}

/** Whether JSON nests deeper than `max` (arrays and objects), checked without recursion. */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const inner of Object.values(current)) stack.push([inner, depth + 1]);
  }
  return false;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------
// Query string and path

/** Well-known message types whose JSON form is a string, so a query parameter can give them whole. */
const STRING_WKT = new Set([
  'google.protobuf.Timestamp',
  'google.protobuf.Duration',
  'google.protobuf.FieldMask',
  'google.protobuf.StringValue',
  'google.protobuf.BytesValue',
  'google.protobuf.Int64Value',
  'google.protobuf.UInt64Value',
  'google.protobuf.Int32Value',
  'google.protobuf.UInt32Value',
  'google.protobuf.DoubleValue',
  'google.protobuf.FloatValue',
]);

/** A field by its proto name (`query_string`) or JSON name (`queryString`). */
function findField(message: DescMessage, name: string): DescField | undefined {
  return message.fields.find((f) => f.name === name) ?? message.fields.find((f) => f.jsonName === name);
}

function fieldByName(message: DescMessage, name: string, what: string): DescField {
  const field = findField(message, name);
  if (!field) throw invalid(`unknown ${what} "${name}" for ${message.typeName}`);
  return field;
}

/**
 * Resolves a dotted field path (`sort.field`) to the object in `json` that holds its last field (created
 * on the way) and that field. Every step but the last must be a singular message field.
 */
function resolve(
  root: DescMessage,
  json: JsonObject,
  path: string,
  what: string,
): { holder: JsonObject; field: DescField } {
  const names = path.split('.');
  let message = root;
  let holder = json;
  for (let i = 0; i < names.length - 1; i++) {
    const field = fieldByName(message, names[i]!, what);
    if (field.fieldKind !== 'message' || STRING_WKT.has(field.message.typeName)) {
      throw invalid(`${what} "${path}": ${field.name} has no fields`);
    }
    const existing = holder[field.jsonName] ?? holder[field.name];
    delete holder[field.name];
    const next: JsonObject = isObject(existing) ? existing : {};
    holder[field.jsonName] = next;
    holder = next;
    message = field.message;
  }
  return { holder, field: fieldByName(message, names[names.length - 1]!, what) };
}

/** What one value of a field is: a scalar, an enum or a message (of a list's elements, for a list). */
type Element = { kind: 'scalar'; scalar: ScalarType } | { kind: 'enum' } | { kind: 'message'; typeName: string };

/** One query-string or path value as the field's protojson value (protojson reads numbers from strings). */
function elementJson(element: Element, name: string, text: string): JsonValue {
  const isBool =
    (element.kind === 'scalar' && element.scalar === ScalarType.BOOL) ||
    (element.kind === 'message' && element.typeName === 'google.protobuf.BoolValue');
  if (isBool) {
    if (text === 'true' || text === 'false') return text === 'true';
    throw invalid(`${name} must be true or false, not "${text}"`);
  }
  if (element.kind === 'enum') return /^-?\d+$/.test(text) ? Number(text) : text;
  if (element.kind === 'message' && !STRING_WKT.has(element.typeName)) {
    throw invalid(`${name} is a message: give its fields (${name}.<field>=…) or send JSON in a body`);
  }
  return text;
}

function leafJson(field: DescField, name: string, values: string[]): JsonValue {
  switch (field.fieldKind) {
    case 'map':
      throw invalid(`${name} is a map: send it in a JSON body`);
    case 'list': {
      const element: Element =
        field.listKind === 'scalar'
          ? { kind: 'scalar', scalar: field.scalar }
          : field.listKind === 'enum'
            ? { kind: 'enum' }
            : { kind: 'message', typeName: field.message.typeName };
      return values.map((text) => elementJson(element, name, text));
    }
    default: {
      if (values.length > 1) throw invalid(`${name} is given more than once`);
      const element: Element =
        field.fieldKind === 'scalar'
          ? { kind: 'scalar', scalar: field.scalar }
          : field.fieldKind === 'enum'
            ? { kind: 'enum' }
            : { kind: 'message', typeName: field.message.typeName };
      return elementJson(element, name, values[0] ?? '');
    }
  }
}

/** Adds the query parameters to `json`; an unknown parameter is INVALID_ARGUMENT like an unknown JSON field. */
function mergeQuery(input: DescMessage, query: URLSearchParams, json: JsonObject): void {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of query) grouped.set(name, [...(grouped.get(name) ?? []), value]);
  for (const [name, values] of grouped) {
    const { holder, field } = resolve(input, json, name, 'query parameter');
    if (Object.hasOwn(holder, field.jsonName) || Object.hasOwn(holder, field.name)) {
      throw invalid(`query parameter ${name} is given more than once (as ${field.name} and ${field.jsonName})`);
    }
    holder[field.jsonName] = leafJson(field, name, values);
  }
}

/** Sets a path variable's field; it replaces the same field given in the body or the query string. */
function setPathField(input: DescMessage, json: JsonObject, path: string, value: string): void {
  const { holder, field } = resolve(input, json, path, 'path variable');
  delete holder[field.name];
  holder[field.jsonName] = leafJson(field, path, [value]);
}
