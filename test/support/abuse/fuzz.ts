import fc from 'fast-check';

/**
 * Shared pieces of the property-based fuzzing (test/e2e/fuzz-*.e2e.test.ts): a fixed seed (printed with
 * every failure, overridable with FUZZ_SEED to replay or explore), a bounded number of runs, and
 * arbitraries biased towards what breaks servers — prototype keys, NUL, lone surrogates, huge and
 * non-finite-looking numbers, deep nesting, non-canonical 64-bit strings.
 */

/** Harness knobs are not STATEGATE_* variables: the config refuses unknown STATEGATE_* names. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_261_203);
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 200);

/** Runs an async property with the fixed seed; a failure names the seed, the path and the counterexample. */
export async function check<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void>,
): Promise<void> {
  const result = await fc.check(fc.asyncProperty(arbitrary, predicate), {
    seed: FUZZ_SEED,
    numRuns: FUZZ_RUNS,
  });
  if (result.failed) {
    throw new Error(
      `${name}: property failed after ${result.numRuns} runs (seed ${FUZZ_SEED}, path "${result.counterexamplePath}"; replay with FUZZ_SEED=${FUZZ_SEED})\n` +
        `counterexample: ${fc.stringify(result.counterexample)}\n${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}`,
    );
  }
}

export const hostileKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    'valueOf',
    '__defineGetter__',
    '$where',
    '$gt',
    '',
  ),
  fc.string({ maxLength: 8 }),
);

export const hostileString = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    '\udfff',
    'x\ud800y',
    '\uffff',
    '\u202e',
    ' ',
    '\t',
    '',
    '%2F',
    '..',
    '/',
  ),
);

export const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 2 ** 64, 1e308, 5e-324, Number.MAX_SAFE_INTEGER),
);

/** Non-canonical (and canonical) 64-bit strings: the issue's `"0x1"` family and its cousins. */
export const int64String = fc.oneof(
  fc.constantFrom(
    '0x1',
    '0b1',
    '0o1',
    ' 1',
    '1 ',
    '1e3',
    '+1',
    '01',
    '-0',
    '',
    '1.0',
    '١',
    '9223372036854775808',
    '-9223372036854775809',
    '0x',
    'NaN',
    'Infinity',
  ),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
  fc.string({ maxLength: 6 }),
);

/** JSON values with hostile keys, strings and numbers, up to `depth` levels. */
export function hostileJson(depth: number): fc.Arbitrary<unknown> {
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: depth },
      fc.constant(null),
      fc.boolean(),
      hostileNumber,
      hostileString,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(hostileKey, tie('value'), { maxKeys: 4 }),
    ),
  }));
  return value;
}

/** JSON text of `value`, keys like `__proto__` kept as own keys (JSON.stringify of a dictionary keeps them). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** Deep nesting well past STATEGATE_JSON_DEPTH, as text (no recursion on either side). */
export const deepText = fc
  .record({ levels: fc.integer({ min: 30, max: 3000 }), array: fc.boolean() })
  .map(({ levels, array }) =>
    array ? `${'['.repeat(levels)}${']'.repeat(levels)}` : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`,
  );
