import { create } from '@bufbuild/protobuf';
import {
  type ListValue,
  ListValueSchema,
  NullValue,
  type Struct,
  StructSchema,
  type Value,
  ValueSchema,
} from '@bufbuild/protobuf/wkt';
import type { JsonObject, JsonValue } from '../../core/model.js';

/**
 * google.protobuf.Value ⇄ JSON. (protobuf-es already represents a message field of type Struct as a
 * JsonObject; a Value field stays a message, so Cache.value is converted here.)
 *
 * Nothing is validated: a NaN or ±Infinity number passes through for core to refuse, exactly as it would
 * from any other transport.
 */

/**
 * A Value as JSON. An unset Value, or one whose kind is unset, is no value at all: undefined, which core
 * refuses for a required field ("value is required"). Inside a struct or list an unset kind reads as
 * null, as protobuf-es reads it in Struct fields.
 */
export function valueToJson(value: Value | undefined): JsonValue | undefined {
  if (value === undefined || value.kind.case === undefined) return undefined;
  return nestedValueToJson(value);
}

function nestedValueToJson(value: Value): JsonValue {
  const kind = value.kind;
  switch (kind.case) {
    case 'structValue':
      return structToJson(kind.value);
    case 'listValue':
      return listToJson(kind.value);
    case 'numberValue':
    case 'stringValue':
    case 'boolValue':
      return kind.value;
    default:
      return null;
  }
}

function structToJson(struct: Struct): JsonObject {
  // fromEntries defines own properties, so a key named "__proto__" stays a plain key.
  return Object.fromEntries(Object.entries(struct.fields).map(([k, v]) => [k, nestedValueToJson(v)]));
}

function listToJson(list: ListValue): JsonValue[] {
  return list.values.map(nestedValueToJson);
}

/** JSON as a google.protobuf.Value. */
export function jsonToValue(json: JsonValue): Value {
  if (json === null) return create(ValueSchema, { kind: { case: 'nullValue', value: NullValue.NULL_VALUE } });
  switch (typeof json) {
    case 'number':
      return create(ValueSchema, { kind: { case: 'numberValue', value: json } });
    case 'string':
      return create(ValueSchema, { kind: { case: 'stringValue', value: json } });
    case 'boolean':
      return create(ValueSchema, { kind: { case: 'boolValue', value: json } });
  }
  if (Array.isArray(json)) {
    return create(ValueSchema, {
      kind: { case: 'listValue', value: create(ListValueSchema, { values: json.map(jsonToValue) }) },
    });
  }
  const fields: Record<string, Value> = Object.fromEntries(Object.entries(json).map(([k, v]) => [k, jsonToValue(v)]));
  return create(ValueSchema, { kind: { case: 'structValue', value: create(StructSchema, { fields }) } });
}
