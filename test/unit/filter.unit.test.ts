import { parseFilter } from '../../src/core/filter/parse.js';

describe('parseFilter', () => {
  it('parses equality', () => {
    expect(parseFilter('{"a.b": 1}', 'entities')).toEqual({ op: 'eq', field: { kind: 'json', document: 'values', path: ['a', 'b'] }, value: 1 });
  });
});
