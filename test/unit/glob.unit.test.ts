import { compileGlob } from '../../src/core/glob.js';

describe('compileGlob', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*', '', true],
    ['*', 'anything', true],
    ['user', 'user', true],
    ['user', 'users', false],
    ['us?r', 'user', true],
    ['us?r', 'usr', false],
    ['user*', 'users', true],
    ['*er', 'user', true],
    ['*er', 'use', false],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['*.*', 'x.y', true],
    ['?*?', 'ab', true],
    ['?*?', 'a', false],
    ['a**b', 'ab', true],
  ];
  it.each(cases)('%s matches %s: %s', (pattern, text, expected) => {
    expect(compileGlob(pattern)(text)).toBe(expected);
  });

  it('stays fast on patterns that make backtracking regexes explode', () => {
    const pattern = `${'*a'.repeat(100)}*b`;
    const text = 'a'.repeat(256);
    // A backtracking matcher takes astronomically long here; this one returns at once.
    expect(compileGlob(pattern)(text)).toBe(false);
    expect(compileGlob(pattern)(`${text}b`)).toBe(true);
  });
});
