/**
 * protojson as read by @bufbuild/protobuf's `fromJson` is lenient about integers: it reads a 64-bit string
 * with `BigInt()` and a 32-bit one with `Number()`, so "0x1", "0b1", "0o1", " 1" and "1e1" pass as numbers.
 * `checkJsonIntegers` walks the JSON a message is about to be read from, beside its descriptor, and refuses
 * every integer field that breaks the rule of canonical-integer.ts — before `fromJson` sees it.
 */
import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { invalid } from '../../core/errors.js';
import { IntegerFormatError, type IntegerKind, integerFromJson, integerFromString } from './canonical-integer.js';

function integerKind(scalar: ScalarType): IntegerKind | undefined {
  switch (scalar) {
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return 'int32';
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return 'uint32';
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return 'int64';
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return 'uint64';
    default:
      return undefined;
  }
}

/** Wrapper types whose JSON is the wrapped integer itself. */
const INTEGER_WRAPPERS: Readonly<Record<string, IntegerKind>> = {
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
};

/** Well-known types with a JSON form of their own and no integer fields to check (Struct values are JSON). */
const OPAQUE_JSON = new Set([
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
  'google.protobuf.Any',
  'google.protobuf.Timestamp',
  'google.protobuf.Duration',
  'google.protobuf.FieldMask',
]);

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function checkInteger(value: unknown, kind: IntegerKind, path: string): void {
  // null is "not set" in protojson; fromJson judges every other non-integer itself.
  if (value === null || (typeof value !== 'number' && typeof value !== 'string')) return;
  try {
    integerFromJson(value, kind);
  } catch (err) {
    if (err instanceof IntegerFormatError) throw invalid(`${path}: ${err.message}`);
    throw err;
  }
}

/** One value of a field's element type: an integer, a message to walk, or anything else (left to fromJson). */
function checkElement(field: DescField, value: unknown, path: string, depth: number): void {
  const kind = field.scalar === undefined ? undefined : integerKind(field.scalar);
  if (kind) {
    checkInteger(value, kind, path);
    return;
  }
  const message = field.message;
  if (message) checkMessageValue(message, value, path, depth);
}

function checkMessageValue(message: DescMessage, value: unknown, path: string, depth: number): void {
  const wrapped = INTEGER_WRAPPERS[message.typeName];
  if (wrapped) checkInteger(value, wrapped, path);
  else if (!OPAQUE_JSON.has(message.typeName)) checkMessage(message, value, path, depth + 1);
}

function checkField(field: DescField, value: unknown, path: string, depth: number): void {
  if (value === null || value === undefined) return;
  if (field.fieldKind === 'list') {
    if (!Array.isArray(value)) return;
    value.forEach((item, i) => {
      checkElement(field, item, `${path}[${i}]`, depth);
    });
    return;
  }
  if (field.fieldKind === 'map') {
    if (!isObject(value)) return;
    const keyKind = integerKind(field.mapKey);
    for (const [key, item] of Object.entries(value)) {
      if (keyKind) {
        try {
          integerFromString(key, keyKind);
        } catch (err) {
          if (err instanceof IntegerFormatError) throw invalid(`${path} key: ${err.message}`);
          throw err;
        }
      }
      const kind = field.mapKind === 'scalar' ? integerKind(field.scalar) : undefined;
      if (kind) checkInteger(item, kind, `${path}[${key}]`);
      else if (field.mapKind === 'message') checkMessageValue(field.message, item, `${path}[${key}]`, depth);
    }
    return;
  }
  checkElement(field, value, path, depth);
}

/** protojson nests no deeper than the messages do; this bound only stops a recursive message type's walk. */
const MAX_DEPTH = 100;

function checkMessage(message: DescMessage, json: unknown, prefix: string, depth: number): void {
  if (!isObject(json) || depth > MAX_DEPTH) return;
  for (const field of message.fields) {
    // protojson takes the proto name and the JSON name alike; fromJson refuses both given at once.
    for (const name of field.name === field.jsonName ? [field.name] : [field.name, field.jsonName]) {
      if (Object.hasOwn(json, name)) checkField(field, json[name], prefix === '' ? name : `${prefix}.${name}`, depth);
    }
  }
}

/**
 * Refuses (INVALID_ARGUMENT, naming the field) any integer field of `json` that is not a safe-integer JSON
 * number or a canonical decimal string within the field's range. Everything else is left to `fromJson`.
 */
export function checkJsonIntegers(message: DescMessage, json: unknown): void {
  checkMessage(message, json, '', 0);
}

/**
 * A TextDecoder for connect-es' JSON serialization of `message` (its `jsonOptions.textDecoder`, the one
 * place between the request bytes and `fromJsonString`): decodes UTF-8 strictly and applies
 * `checkJsonIntegers`. Malformed JSON is passed on for connect-es to refuse in its own words.
 */
export function strictJsonDecoder(message: DescMessage): { decode(bytes: Uint8Array): string } {
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  return {
    decode(bytes) {
      let text: string;
      try {
        text = utf8.decode(bytes);
      } catch {
        throw invalid('the request body is not valid UTF-8');
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return text;
      }
      checkJsonIntegers(message, json);
      return text;
    },
  };
}
