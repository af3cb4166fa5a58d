/**
 * The one rule for integers that arrive as JSON or text, on every transport (GraphQL's Int64, REST query
 * parameters and bodies, Connect and gRPC-Web JSON): a JSON number that is a safe integer, or a string in
 * canonical decimal form — `0`, or an optional `-` and digits without a leading zero — within the field's
 * range. `BigInt()` and `Number()` would also take "0x1", "0b1", "0o1", " 1", "1e3" and "" (as 0), so a
 * client could smuggle a different number past anything that compares text (policies, logs, caches).
 *
 * Decided:
 * - "-0", "+1", "01", "1.0", "1e3" and any whitespace are refused as strings: none is how protojson writes
 *   the number, and the string form exists to carry int64 exactly, not to be parsed leniently.
 * - A JSON number is taken by value: `1e3` and `1.0` are the integer 1000 and 1 once JSON.parse has read
 *   them (no parser used here can tell them apart, and protojson accepts them too); fractions, NaN and
 *   numbers beyond ±2^53 are refused (beyond 2^53 a JSON number is not exact: send a string).
 */

export type IntegerKind = 'int32' | 'uint32' | 'int64' | 'uint64';

const RANGES: Readonly<Record<IntegerKind, readonly [bigint, bigint]>> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/** Canonical decimal: "0", or digits with no leading zero, with an optional minus sign (but not "-0"). */
const CANONICAL_DECIMAL = /^(?:0|-?[1-9][0-9]*)$/;

/** Why a value is not an integer of its kind: the message a client gets, without the field's name. */
export class IntegerFormatError extends Error {
  override readonly name = 'IntegerFormatError';
}

function quoted(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function inRange(value: bigint, kind: IntegerKind, shown: string): bigint {
  const [min, max] = RANGES[kind];
  if (value < min || value > max) throw new IntegerFormatError(`${shown} is out of range for ${kind}`);
  return value;
}

/** A canonical decimal string as a bigint, or IntegerFormatError. */
export function integerFromString(text: string, kind: IntegerKind): bigint {
  if (!CANONICAL_DECIMAL.test(text)) {
    throw new IntegerFormatError(
      `${quoted(text)} is not a canonical decimal integer (digits only, no leading zeros, sign, spaces, hex or exponent)`,
    );
  }
  return inRange(BigInt(text), kind, quoted(text));
}

/** A JSON number that is a safe integer as a bigint, or IntegerFormatError. */
export function integerFromNumber(value: number, kind: IntegerKind): bigint {
  if (!Number.isInteger(value)) throw new IntegerFormatError(`${value} is not an integer`);
  if (!Number.isSafeInteger(value)) {
    throw new IntegerFormatError(`${value} is beyond 2^53 and not exact as a JSON number: send it as a decimal string`);
  }
  // BigInt(-0) is 0n: the sign of a JSON zero carries no information.
  return inRange(BigInt(value), kind, String(value));
}

/** A JSON value (number or string) as an integer of `kind`, or IntegerFormatError. */
export function integerFromJson(value: unknown, kind: IntegerKind): bigint {
  if (typeof value === 'number') return integerFromNumber(value, kind);
  if (typeof value === 'string') return integerFromString(value, kind);
  throw new IntegerFormatError(`expected an integer (a JSON number or a decimal string), got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}
