import { parseFilter, parseSort } from '../../src/core/filter/parse.js';

const values = (...path: string[]) => ({ kind: 'json', document: 'values', path });

describe('parseFilter', () => {
  it('treats empty and {} as no filter', () => {
    expect(parseFilter(undefined, 'entities')).toBeNull();
    expect(parseFilter('  ', 'entities')).toBeNull();
    expect(parseFilter('{}', 'entities')).toBeNull();
  });

  it('parses equality, operators, and implicit and', () => {
    expect(parseFilter('{"a.b": 1}', 'entities')).toEqual({ op: 'eq', field: values('a', 'b'), value: 1 });
    expect(parseFilter('{"age": {"$gte": 18, "$lt": 65}, "name": "x"}', 'entities')).toEqual({
      op: 'and',
      filters: [
        {
          op: 'and',
          filters: [
            { op: 'gte', field: values('age'), value: 18 },
            { op: 'lt', field: values('age'), value: 65 },
          ],
        },
        { op: 'eq', field: values('name'), value: 'x' },
      ],
    });
  });

  it('parses $in, $nin, $exists, $not, $and, $or', () => {
    expect(parseFilter('{"a": {"$in": [1, "x", null]}}', 'entities')).toEqual({
      op: 'in',
      field: values('a'),
      values: [1, 'x', null],
    });
    expect(parseFilter('{"a": {"$exists": false}}', 'entities')).toEqual({
      op: 'exists',
      field: values('a'),
      value: false,
    });
    expect(parseFilter('{"a": {"$not": {"$gt": 5}}}', 'entities')).toEqual({
      op: 'not',
      filter: { op: 'gt', field: values('a'), value: 5 },
    });
    expect(parseFilter('{"$or": [{"a": 1}, {"$and": [{"b": 2}, {"c": {"$nin": [3]}}]}]}', 'entities')).toEqual({
      op: 'or',
      filters: [
        { op: 'eq', field: values('a'), value: 1 },
        {
          op: 'and',
          filters: [
            { op: 'eq', field: values('b'), value: 2 },
            { op: 'nin', field: values('c'), values: [3] },
          ],
        },
      ],
    });
  });

  it('maps entity _id to the key and event fields to their columns', () => {
    expect(parseFilter('{"_id": "k"}', 'entities')).toEqual({
      op: 'eq',
      field: { kind: 'column', column: 'key' },
      value: 'k',
    });
    expect(parseFilter('{"entity.key": "k", "method": "m"}', 'events')).toMatchObject({
      filters: [{ field: { column: 'key' } }, { field: { column: 'method' } }],
    });
    expect(parseFilter('{"time": {"$gt": "1700000000000000001"}}', 'events')).toEqual({
      op: 'gt',
      field: { kind: 'column', column: 'time' },
      value: 1700000000000000001n,
    });
    expect(parseFilter('{"claims.sub": "u1"}', 'events')).toEqual({
      op: 'eq',
      field: { kind: 'json', document: 'claims', path: ['sub'] },
      value: 'u1',
    });
    expect(parseFilter('{"entity.values.a.b": true}', 'events')).toEqual({
      op: 'eq',
      field: values('a', 'b'),
      value: true,
    });
  });

  const rejected: Array<[string, string]> = [
    ['not JSON', '{"a": '],
    ['an array', '[1]'],
    ['$where', '{"$where": "this.a == 1"}'],
    ['$regex', '{"a": {"$regex": "^x"}}'],
    ['$function', '{"a": {"$function": {}}}'],
    ['$expr', '{"$expr": {"$eq": ["$a", 1]}}'],
    ['$nor', '{"$nor": [{"a": 1}]}'],
    ['an unknown operator', '{"a": {"$like": "x"}}'],
    ['a SQL-looking path', '{"a\') OR 1=1 --": 1}'],
    ['a path with a quote', '{"a\\"b": 1}'],
    ['an empty path segment', '{"a..b": 1}'],
    ['a path with spaces', '{"a b": 1}'],
    ['object equality', '{"a": {"b": 1}}'],
    ['$in without an array', '{"a": {"$in": 1}}'],
    ['$exists with a non-boolean', '{"a": {"$exists": 1}}'],
    ['$not with a scalar', '{"a": {"$not": 5}}'],
    ['an array operand', '{"a": {"$eq": [1]}}'],
    ['an empty $or', '{"$or": []}'],
    ['too deep nesting', `${'{"$and": ['.repeat(12)}{"a": 1}${']}'.repeat(12)}`],
  ];
  it.each(rejected)('rejects %s with INVALID_ARGUMENT', (_, query) => {
    expect(() => parseFilter(query, 'entities')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('rejects unknown event fields and wrongly typed column literals', () => {
    expect(() => parseFilter('{"foo": 1}', 'events')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => parseFilter('{"time": {"$gt": "soon"}}', 'events')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => parseFilter('{"position": "1"}', 'events')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('parseSort', () => {
  it('defaults to none and resolves fields', () => {
    expect(parseSort(undefined, 'entities')).toBeNull();
    expect(parseSort({ field: '', reverse: true }, 'events')).toBeNull();
    expect(parseSort({ field: 'time', reverse: true }, 'events')).toEqual({
      field: { kind: 'column', column: 'time' },
      reverse: true,
    });
    expect(() => parseSort({ field: 'a;drop', reverse: false }, 'entities')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
