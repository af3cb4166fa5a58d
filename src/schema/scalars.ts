import { type ASTNode, Kind, type ObjectValueNode, type ValueNode } from 'graphql';
import type { JsonValue } from '../core/model.js';
import { IntegerFormatError, integerFromJson, integerFromString } from '../transports/proto/canonical-integer.js';
import { builder } from './builder.js';
import { InputError } from './input-error.js';

const badInput = (message: string, node?: ASTNode) => new InputError(message, node);

// ---------------------------------------------------------------------------------------------- JSON

/**
 * Reads a JSON literal written in GraphQL syntax, e.g. the seed's `values: { first_name: "Coleman" }`.
 * Variables may sit anywhere inside it (`{ name: $name }`); during validation graphql-js calls this
 * without variables, so a variable then just reads as absent.
 */
function jsonFromLiteral(
  node: ValueNode,
  variables: Record<string, unknown> | null | undefined,
): JsonValue | undefined {
  switch (node.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map((item) => jsonFromLiteral(item, variables) ?? null);
    case Kind.OBJECT:
      return jsonObjectFromLiteral(node, variables);
    case Kind.VARIABLE:
      return variables?.[node.name.value] as JsonValue | undefined;
    case Kind.ENUM:
      throw badInput(`JSON strings must be quoted: found ${node.value}`, node);
  }
}

function jsonObjectFromLiteral(node: ObjectValueNode, variables: Record<string, unknown> | null | undefined) {
  const object: { [key: string]: JsonValue } = {};
  for (const field of node.fields) {
    const value = jsonFromLiteral(field.value, variables);
    if (value !== undefined) object[field.name.value] = value;
  }
  return object;
}

export const JsonScalar = builder.scalarType('JSON', {
  description:
    'Any JSON value. Entity values, message bodies and claims are JSON objects; a cache value may be any JSON. ' +
    'Write it as a GraphQL literal (`{ first_name: "Coleman" }`) or pass it in a variable.',
  serialize: (value) => value as JsonValue,
  parseValue: (value) => {
    if (value === null || value === undefined) throw badInput('JSON value is missing');
    return value as Exclude<JsonValue, null>;
  },
  parseLiteral: (node, variables) => {
    const value = jsonFromLiteral(node, variables);
    if (value === null || value === undefined) throw badInput('JSON value is missing', node);
    return value;
  },
});

// --------------------------------------------------------------------------------------------- Int64

/** An Int64 by the rule every transport shares (canonical-integer.ts), or INVALID_ARGUMENT. */
function int64(read: () => bigint, node?: ASTNode): bigint {
  try {
    return read();
  } catch (err) {
    if (err instanceof IntegerFormatError) throw badInput(`Int64: ${err.message}`, node);
    throw err;
  }
}

/** What a JSON variable can hold: a safe-integer number or a canonical decimal string. */
function int64FromInput(value: unknown): bigint {
  if (typeof value === 'bigint') return int64(() => integerFromString(value.toString(), 'int64'));
  return int64(() => integerFromJson(value, 'int64'));
}

export const Int64Scalar = builder.scalarType('Int64', {
  description:
    'A signed 64-bit integer, exact. Sent as a decimal string (protojson style); accepted as an Int or a decimal ' +
    'string. Times (`time`, `at`, `min`, `max`) are nanoseconds since the Unix epoch.',
  serialize: (value) => {
    if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) return value.toString();
    throw new TypeError(`Int64 cannot represent ${String(value)}`);
  },
  parseValue: (value) => int64FromInput(value),
  parseLiteral: (node) => {
    // An Int literal is a number token, decimal by GraphQL's grammar: taken by value, as a JSON number is.
    if (node.kind === Kind.INT) return int64(() => integerFromString(BigInt(node.value).toString(), 'int64'), node);
    if (node.kind === Kind.STRING) return int64(() => integerFromString(node.value, 'int64'), node);
    throw badInput('Int64 must be an integer or a decimal string', node);
  },
});

// ------------------------------------------------------------------------------------------ DateTime

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The fields exist on the calendar and the clock (`new Date` would roll Feb 31 over to Mar 3). */
function isRealInstant(fields: number[]): boolean {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, offsetHour = 0, offsetMinute = 0] = fields;
  const daysInMonth = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  // Year 1 to 9999 is the range of a protobuf Timestamp; leap seconds are not representable.
  return (
    year >= 1 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHour <= 23 &&
    offsetMinute <= 59
  );
}

function dateFromString(value: unknown, node?: ASTNode): Date {
  const match = typeof value === 'string' ? RFC3339.exec(value) : null;
  if (!match) throw badInput('DateTime must be an RFC 3339 timestamp such as "2030-01-01T00:00:00Z"', node);
  const date = new Date(match[0]);
  if (!isRealInstant(match.slice(1).map((field) => Number(field ?? 0))) || Number.isNaN(date.getTime())) {
    throw badInput(`DateTime is not a real date and time: "${match[0]}"`, node);
  }
  return date;
}

export const DateTimeScalar = builder.scalarType('DateTime', {
  description: 'An instant as an RFC 3339 timestamp, e.g. "2030-01-01T00:00:00Z" (protobuf Timestamp in JSON).',
  serialize: (value) => {
    if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
    throw new TypeError(`DateTime cannot represent ${String(value)}`);
  },
  parseValue: (value) => dateFromString(value),
  parseLiteral: (node) => {
    if (node.kind !== Kind.STRING) throw badInput('DateTime must be an RFC 3339 timestamp string', node);
    return dateFromString(node.value, node);
  },
});
