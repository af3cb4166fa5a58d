import { StategateError } from '../../src/core/errors.js';
import {
  EntityRefSchema,
  EntitySchema,
  SearchEntityOptsSchema,
  StreamEventOptsSchema,
} from '../../src/generated/stategate_pb.js';
import {
  IntegerFormatError,
  integerFromJson,
  integerFromString,
} from '../../src/transports/proto/canonical-integer.js';
import { checkJsonIntegers, strictJsonDecoder } from '../../src/transports/proto/strict-json.js';

const INT64_MAX = '9223372036854775807';
const INT64_MIN = '-9223372036854775808';

/** Every non-canonical spelling of a small integer a lenient parser (BigInt, Number) takes. */
const NON_CANONICAL = [
  '0x1',
  '0X1',
  '0b1',
  '0o1',
  ' 1',
  '1 ',
  '\t1',
  '+1',
  '01',
  '00',
  '-0',
  '1e3',
  '1.0',
  '1_000',
  '',
  '-',
  '١',
];

describe('canonical integers (canonical-integer.ts)', () => {
  it.each(NON_CANONICAL)('refuses the string %j as an integer of every kind', (text) => {
    for (const kind of ['int32', 'uint32', 'int64', 'uint64'] as const) {
      expect(() => integerFromString(text, kind)).toThrow(IntegerFormatError);
    }
  });

  it('takes canonical decimal strings up to each range, exactly', () => {
    expect(integerFromString('0', 'int64')).toBe(0n);
    expect(integerFromString('-1', 'int64')).toBe(-1n);
    expect(integerFromString('1234567890', 'int64')).toBe(1234567890n);
    expect(integerFromString(INT64_MAX, 'int64')).toBe(2n ** 63n - 1n);
    expect(integerFromString(INT64_MIN, 'int64')).toBe(-(2n ** 63n));
    expect(integerFromString('18446744073709551615', 'uint64')).toBe(2n ** 64n - 1n);
    expect(integerFromString('2147483647', 'int32')).toBe(2147483647n);
    expect(integerFromString('-2147483648', 'int32')).toBe(-2147483648n);
  });

  it('refuses a value one past each end of its range', () => {
    expect(() => integerFromString('9223372036854775808', 'int64')).toThrow(/out of range for int64/);
    expect(() => integerFromString('-9223372036854775809', 'int64')).toThrow(/out of range/);
    expect(() => integerFromString('18446744073709551616', 'uint64')).toThrow(/out of range/);
    expect(() => integerFromString('-1', 'uint64')).toThrow(/out of range/);
    expect(() => integerFromString('2147483648', 'int32')).toThrow(/out of range for int32/);
    expect(() => integerFromString('4294967296', 'uint32')).toThrow(/out of range/);
  });

  it('takes JSON numbers by value: safe integers only', () => {
    expect(integerFromJson(42, 'int64')).toBe(42n);
    expect(integerFromJson(-0, 'int64')).toBe(0n);
    expect(integerFromJson(1e3, 'int32')).toBe(1000n);
    expect(integerFromJson(Number.MAX_SAFE_INTEGER, 'int64')).toBe(2n ** 53n - 1n);
    expect(() => integerFromJson(1.5, 'int64')).toThrow(/not an integer/);
    expect(() => integerFromJson(Number.NaN, 'int64')).toThrow(/not an integer/);
    expect(() => integerFromJson(Number.POSITIVE_INFINITY, 'int64')).toThrow(/not an integer/);
    expect(() => integerFromJson(2 ** 53, 'int64')).toThrow(/decimal string/);
    expect(() => integerFromJson(2 ** 31, 'int32')).toThrow(/out of range/);
    expect(() => integerFromJson(true, 'int64')).toThrow(IntegerFormatError);
    expect(() => integerFromJson({}, 'int64')).toThrow(/an object/);
  });

  it('quotes a long refused string only in part', () => {
    expect(() => integerFromString(`0x${'f'.repeat(500)}`, 'int64')).toThrow(/^"0xf{38}…" is not/);
  });
});

describe('checkJsonIntegers: protojson integer fields before fromJson sees them', () => {
  const invalid = (fn: () => void): StategateError => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(StategateError);
      expect((err as StategateError).code).toBe('INVALID_ARGUMENT');
      return err as StategateError;
    }
    throw new Error('expected INVALID_ARGUMENT');
  };

  it.each(NON_CANONICAL)('refuses version %j in an Entity, naming the field', (text) => {
    const err = invalid(() => checkJsonIntegers(EntitySchema, { domain: 'd', type: 't', key: 'k', version: text }));
    expect(err.message).toMatch(/^version: /);
  });

  it('refuses int32 limit/offset strings that Number() would read, under either field name', () => {
    expect(invalid(() => checkJsonIntegers(SearchEntityOptsSchema, { limit: '0x10' })).message).toMatch(/^limit: /);
    expect(invalid(() => checkJsonIntegers(SearchEntityOptsSchema, { offset: ' 5' })).message).toMatch(/^offset: /);
    expect(invalid(() => checkJsonIntegers(SearchEntityOptsSchema, { limit: 2.5 })).message).toMatch(/not an integer/);
    // An optional int64 (proto3 `optional`) is checked the same way.
    expect(invalid(() => checkJsonIntegers(StreamEventOptsSchema, { after: '0b1' })).message).toMatch(/^after: /);
  });

  it('passes canonical values, numbers, absent and null fields, and leaves non-integers to fromJson', () => {
    expect(() =>
      checkJsonIntegers(EntityRefSchema, { domain: 'd', type: 't', key: 'k', version: '-1', at: INT64_MAX }),
    ).not.toThrow();
    expect(() => checkJsonIntegers(EntitySchema, { version: 7, values: { n: '0x1', f: 1.5 } })).not.toThrow();
    expect(() => checkJsonIntegers(EntitySchema, { version: null })).not.toThrow();
    expect(() => checkJsonIntegers(EntitySchema, { version: true })).not.toThrow(); // fromJson refuses a bool
    expect(() => checkJsonIntegers(EntitySchema, 'not an object')).not.toThrow();
  });

  it('strictJsonDecoder refuses bad integers and invalid UTF-8, and passes everything else through as text', () => {
    const decoder = strictJsonDecoder(EntitySchema);
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(decoder.decode(bytes('{"version":"3"}'))).toBe('{"version":"3"}');
    expect(decoder.decode(bytes('{not json'))).toBe('{not json');
    expect(invalid(() => decoder.decode(bytes('{"version":"0x3"}'))).message).toMatch(/^version: /);
    expect(invalid(() => decoder.decode(new Uint8Array([0x7b, 0xff, 0x7d]))).message).toMatch(/UTF-8/);
  });
});
