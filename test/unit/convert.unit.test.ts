import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from '@bufbuild/protobuf';
import { NullValue, StructSchema, timestampFromDate, ValueSchema } from '@bufbuild/protobuf/wkt';
import { StategateError } from '../../src/core/errors.js';
import type { CacheEntry, Entity, Event, JsonValue, MutexLease, PeerMessage } from '../../src/core/model.js';
import * as pb from '../../src/generated/stategate_pb.js';
import {
  coreCacheEntry,
  coreCacheRef,
  coreEntityInput,
  coreEntityRef,
  coreEventRef,
  coreMessage,
  coreMutexRef,
  coreMutexRequest,
  coreSearchEntityOpts,
  coreSearchEventOpts,
  coreStreamEventOpts,
  coreStreamMessageOpts,
  int64ToNumber,
  protoCache,
  protoEmpty,
  protoEntities,
  protoEntity,
  protoEvent,
  protoEvents,
  protoMutexLease,
  protoPeerMessage,
} from '../../src/transports/proto/convert.js';
import { jsonToValue, valueToJson } from '../../src/transports/proto/json-value.js';

const TWO_53 = 2n ** 53n;
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof StategateError ? err.code : err;
  }
  return 'no error';
};

/** Through the wire and back: what a peer decoding our bytes sees. */
function wire<D extends DescMessage>(schema: D, msg: MessageShape<D>): MessageShape<D> {
  return fromBinary(schema, toBinary(schema, msg));
}

const entity: Entity = {
  domain: 'acme',
  type: 'user',
  key: 'a@example.com',
  values: { name: 'A', tags: ['x', 1, true, null], nested: { deep: { n: 1.5 } } },
  version: 7,
};

describe('requests: proto → core, with proto3 defaults', () => {
  it('Entity → EntityInput: every field, version as a number', () => {
    const msg = create(pb.EntitySchema, { domain: 'd', type: 't', key: 'k', values: { a: 1 }, version: 3n });
    expect(coreEntityInput(msg)).toStrictEqual({ domain: 'd', type: 't', key: 'k', values: { a: 1 }, version: 3 });
  });

  it('Entity defaults: unset values pass as undefined (core refuses), version 0 = no precondition', () => {
    expect(coreEntityInput(create(pb.EntitySchema))).toStrictEqual({
      domain: '',
      type: '',
      key: '',
      values: undefined,
    });
    expect(coreEntityInput(create(pb.EntitySchema, { version: -1n })).version).toBe(-1);
  });

  it('EntityRef: version 0 = current / no precondition, at 0 = now; at stays a bigint', () => {
    expect(coreEntityRef(create(pb.EntityRefSchema, { domain: 'd', type: 't', key: 'k' }))).toStrictEqual({
      domain: 'd',
      type: 't',
      key: 'k',
    });
    const at = 1_700_000_000_123_456_789n;
    expect(coreEntityRef(create(pb.EntityRefSchema, { domain: 'd', version: 2n, at }))).toMatchObject({
      version: 2,
      at,
    });
    // A negative time is not "absent": it reaches core, which refuses it.
    expect(coreEntityRef(create(pb.EntityRefSchema, { at: -5n })).at).toBe(-5n);
  });

  it('EventRef', () => {
    const id = '3b241101-e2bb-4255-8caf-4136c566a962';
    expect(coreEventRef(create(pb.EventRefSchema, { domain: 'd', type: 't', key: 'k', id }))).toStrictEqual({
      domain: 'd',
      type: 't',
      key: 'k',
      id,
    });
  });

  it('SearchEntityOpts: limit passes as given (0 too, for core to refuse); empty options are absent', () => {
    expect(coreSearchEntityOpts(create(pb.SearchEntityOptsSchema, { domain: 'd', type: 't' }))).toStrictEqual({
      domain: 'd',
      type: 't',
      limit: 0,
    });
    const full = create(pb.SearchEntityOptsSchema, {
      domain: 'd',
      type: 't',
      queryString: '{"a":1}',
      limit: 10,
      offset: 5,
      sort: { field: 'a', reverse: true },
    });
    expect(coreSearchEntityOpts(full)).toStrictEqual({
      domain: 'd',
      type: 't',
      queryString: '{"a":1}',
      limit: 10,
      offset: 5,
      sort: { field: 'a', reverse: true },
    });
    // A negative offset or limit is core's to refuse.
    expect(coreSearchEntityOpts(create(pb.SearchEntityOptsSchema, { limit: -1, offset: -2 }))).toMatchObject({
      limit: -1,
      offset: -2,
    });
    // A sort message that is present but empty is passed on (core reads an empty field as the default).
    expect(coreSearchEntityOpts(create(pb.SearchEntityOptsSchema, { sort: {} })).sort).toEqual({
      field: '',
      reverse: false,
    });
  });

  it('SearchEventOpts: min/max stay bigint, after becomes a number, zeros are absent', () => {
    expect(coreSearchEventOpts(create(pb.SearchEventOptsSchema, { domain: 'd', type: 't', limit: 1 }))).toStrictEqual({
      domain: 'd',
      type: 't',
      limit: 1,
    });
    const msg = create(pb.SearchEventOptsSchema, {
      domain: 'd',
      type: 't',
      queryString: '{"method":"x"}',
      min: 10n,
      max: 20n,
      limit: 3,
      offset: 1,
      sort: { field: 'time' },
      after: 42n,
    });
    expect(coreSearchEventOpts(msg)).toStrictEqual({
      domain: 'd',
      type: 't',
      queryString: '{"method":"x"}',
      min: 10n,
      max: 20n,
      limit: 3,
      offset: 1,
      sort: { field: 'time', reverse: false },
      after: 42,
    });
  });

  it('StreamEventOpts: empty globs are absent; `after` is resume when set, 0 included', () => {
    expect(coreStreamEventOpts(create(pb.StreamEventOptsSchema))).toStrictEqual({});
    expect(coreStreamEventOpts(create(pb.StreamEventOptsSchema, { after: 0n }))).toStrictEqual({ after: 0 });
    const msg = create(pb.StreamEventOptsSchema, {
      domain: 'a*',
      type: 'u?er',
      key: 'k*',
      consumerGroup: 'g',
      after: 9n,
    });
    expect(coreStreamEventOpts(msg)).toStrictEqual({
      domain: 'a*',
      type: 'u?er',
      key: 'k*',
      consumerGroup: 'g',
      after: 9,
    });
    // The presence of `after` survives the wire (proto3 `optional`).
    const decoded = fromBinary(
      pb.StreamEventOptsSchema,
      toBinary(pb.StreamEventOptsSchema, create(pb.StreamEventOptsSchema, { after: 0n })),
    );
    expect(coreStreamEventOpts(decoded)).toStrictEqual({ after: 0 });
    const unset = fromBinary(
      pb.StreamEventOptsSchema,
      toBinary(pb.StreamEventOptsSchema, create(pb.StreamEventOptsSchema)),
    );
    expect(coreStreamEventOpts(unset)).toStrictEqual({});
  });

  it('Message and StreamMessageOpts: unset body passes as undefined (core refuses)', () => {
    expect(
      coreMessage(create(pb.MessageSchema, { domain: 'd', channel: 'c', type: 't', body: { x: 1 } })),
    ).toStrictEqual({ domain: 'd', channel: 'c', type: 't', body: { x: 1 } });
    expect(coreMessage(create(pb.MessageSchema)).body).toBeUndefined();
    expect(coreStreamMessageOpts(create(pb.StreamMessageOptsSchema))).toStrictEqual({});
    expect(
      coreStreamMessageOpts(
        create(pb.StreamMessageOptsSchema, { domain: 'd', channel: 'c*', type: 't', consumerGroup: 'g' }),
      ),
    ).toStrictEqual({ domain: 'd', channel: 'c*', type: 't', consumerGroup: 'g' });
  });

  it('Cache → CacheEntry: Value as JSON, Timestamp as Date, unset exp = never', () => {
    const exp = new Date('2031-02-03T04:05:06.789Z');
    const msg = create(pb.CacheSchema, {
      domain: 'd',
      key: 'k',
      value: jsonToValue({ a: [1, 'two', null, false] }),
      exp: timestampFromDate(exp),
    });
    expect(coreCacheEntry(msg)).toStrictEqual({ domain: 'd', key: 'k', value: { a: [1, 'two', null, false] }, exp });
    expect(coreCacheEntry(create(pb.CacheSchema, { domain: 'd', key: 'k', value: jsonToValue(0) }))).toStrictEqual({
      domain: 'd',
      key: 'k',
      value: 0,
    });
    // No value (unset field, or a Value with no kind) is undefined, for core to refuse.
    expect(coreCacheEntry(create(pb.CacheSchema)).value).toBeUndefined();
    expect(coreCacheEntry(create(pb.CacheSchema, { value: {} })).value).toBeUndefined();
    expect(coreCacheRef(create(pb.CacheRefSchema, { domain: 'd', key: 'k' }))).toStrictEqual({ domain: 'd', key: 'k' });
  });

  it('Mutex → MutexRequest and MutexRef: unset exp and empty token are absent', () => {
    expect(coreMutexRequest(create(pb.MutexSchema, { domain: 'd', key: 'k' }))).toStrictEqual({
      domain: 'd',
      key: 'k',
    });
    const exp = new Date('2030-01-01T00:00:00.000Z');
    expect(
      coreMutexRequest(create(pb.MutexSchema, { domain: 'd', key: 'k', exp: timestampFromDate(exp) })),
    ).toStrictEqual({ domain: 'd', key: 'k', exp });
    expect(coreMutexRef(create(pb.MutexRefSchema, { domain: 'd', key: 'k' }))).toStrictEqual({ domain: 'd', key: 'k' });
    expect(coreMutexRef(create(pb.MutexRefSchema, { domain: 'd', key: 'k', token: 't' }))).toStrictEqual({
      domain: 'd',
      key: 'k',
      token: 't',
    });
  });

  it('an out-of-range timestamp becomes an invalid Date, which core refuses', () => {
    const msg = create(pb.CacheSchema, { exp: { seconds: 10n ** 15n, nanos: 0 } });
    expect(Number.isNaN(coreCacheEntry(msg).exp!.getTime())).toBe(true);
  });
});

describe('int64 ⇄ number: exact, or INVALID_ARGUMENT', () => {
  it.each([
    [0n, 0],
    [1n, 1],
    [-1n, -1],
    [TWO_53 - 1n, Number.MAX_SAFE_INTEGER],
    [-(TWO_53 - 1n), -Number.MAX_SAFE_INTEGER],
  ])('%s → %s', (big, n) => {
    expect(int64ToNumber('version', big)).toBe(n);
  });

  it.each([TWO_53, -TWO_53, 2n ** 63n - 1n, -(2n ** 63n)])('refuses %s', (big) => {
    expect(codeOf(() => int64ToNumber('version', big))).toBe('INVALID_ARGUMENT');
  });

  it('refuses versions and positions beyond 2^53 in every request that carries one', () => {
    expect(codeOf(() => coreEntityInput(create(pb.EntitySchema, { version: TWO_53 })))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => coreEntityRef(create(pb.EntityRefSchema, { version: -TWO_53 })))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => coreSearchEventOpts(create(pb.SearchEventOptsSchema, { after: TWO_53 })))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => coreStreamEventOpts(create(pb.StreamEventOptsSchema, { after: 2n ** 62n })))).toBe(
      'INVALID_ARGUMENT',
    );
    const err = (() => {
      try {
        coreEntityInput(create(pb.EntitySchema, { version: TWO_53 }));
      } catch (e) {
        return e as StategateError;
      }
    })();
    expect(err?.message).toMatch(/version/);
  });

  it('times are never narrowed: the largest int64 passes through', () => {
    const max = 2n ** 63n - 1n;
    expect(coreEntityRef(create(pb.EntityRefSchema, { at: max })).at).toBe(max);
    expect(coreSearchEventOpts(create(pb.SearchEventOptsSchema, { min: max, max })).max).toBe(max);
  });
});

describe('google.protobuf.Value ⇄ JSON', () => {
  const samples: JsonValue[] = [
    null,
    0,
    -1.5,
    'text',
    '',
    true,
    false,
    [],
    {},
    [1, [2, [3]]],
    { a: { b: [null, { c: 'd' }] } },
  ];
  it.each(samples)('round-trips %j (through the wire too)', (json) => {
    const value = jsonToValue(json);
    expect(valueToJson(value)).toEqual(json);
    expect(valueToJson(fromBinary(ValueSchema, toBinary(ValueSchema, value)))).toEqual(json);
  });

  it('an unset Value or kind is no value; nested, an unset kind reads as null', () => {
    expect(valueToJson(undefined)).toBeUndefined();
    expect(valueToJson(create(ValueSchema))).toBeUndefined();
    const nested = create(ValueSchema, {
      kind: {
        case: 'structValue',
        value: create(StructSchema, { fields: { gone: create(ValueSchema), there: jsonToValue(1) } }),
      },
    });
    expect(valueToJson(nested)).toEqual({ gone: null, there: 1 });
    expect(valueToJson(create(ValueSchema, { kind: { case: 'nullValue', value: NullValue.NULL_VALUE } }))).toBeNull();
  });

  it('keeps a "__proto__" key as a plain key both ways', () => {
    const json = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    const back = valueToJson(jsonToValue(json)) as Record<string, unknown>;
    expect(Object.keys(back).sort()).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not validate: a non-finite number passes through for core to refuse', () => {
    const v = create(ValueSchema, { kind: { case: 'numberValue', value: Number.NaN } });
    expect(valueToJson(v)).toBeNaN();
  });
});

describe('responses: core → proto', () => {
  const event: Event = {
    id: '3b241101-e2bb-4255-8caf-4136c566a962',
    entity,
    claims: { sub: 'user-1', roles: ['admin'] },
    time: 1_700_000_000_123_456_789n,
    method: '/stategate.EntityService/Set',
    position: 123,
  };

  it('Entity: version as int64, values as they were; reads back as the same EntityInput', () => {
    const msg = wire(pb.EntitySchema, protoEntity(entity));
    expect(msg.version).toBe(7n);
    expect(msg.values).toEqual(entity.values);
    expect(coreEntityInput(msg)).toEqual(entity);
  });

  it('Entities and Events keep order', () => {
    const other = { ...entity, key: 'b', version: 1 };
    expect(wire(pb.EntitiesSchema, protoEntities([entity, other])).entities.map((e) => e.key)).toEqual([
      'a@example.com',
      'b',
    ]);
    expect(protoEntities([]).entities).toEqual([]);
    const events = wire(pb.EventsSchema, protoEvents([event, { ...event, position: 124 }]));
    expect(events.events.map((e) => e.position)).toEqual([123n, 124n]);
  });

  it('Event: time exact to the nanosecond, position as int64, claims and the entity whole', () => {
    const msg = wire(pb.EventSchema, protoEvent(event));
    expect(msg).toMatchObject({
      id: event.id,
      claims: event.claims,
      time: 1_700_000_000_123_456_789n,
      method: event.method,
      position: 123n,
    });
    expect(coreEntityInput(msg.entity!)).toEqual(entity);
  });

  it('PeerMessage', () => {
    const message: PeerMessage = {
      id: '9f1c7a38-8a8b-4c4e-9b8f-0c6d2c1e5a77',
      domain: 'd',
      channel: 'c',
      type: 't',
      body: { text: 'hi', n: [1, 2] },
      claims: {},
      time: 5n,
    };
    const msg = wire(pb.PeerMessageSchema, protoPeerMessage(message));
    expect(msg).toMatchObject(message);
  });

  it('Cache: round-trips any JSON value and the expiry (ms precision)', () => {
    for (const value of [null, 0, 'x', false, [1, { a: null }], { deep: { er: ['s'] } }]) {
      const entry: CacheEntry = { domain: 'd', key: 'k', value, exp: new Date('2031-01-01T00:00:00.250Z') };
      expect(coreCacheEntry(wire(pb.CacheSchema, protoCache(entry)))).toStrictEqual(entry);
    }
    const forever: CacheEntry = { domain: 'd', key: 'k', value: 1 };
    const msg = protoCache(forever);
    expect(msg.exp).toBeUndefined();
    expect(coreCacheEntry(wire(pb.CacheSchema, msg))).toStrictEqual(forever);
  });

  it('MutexLease: expiry, token and fencing number', () => {
    const lease: MutexLease = {
      domain: 'd',
      key: 'k',
      exp: new Date('2030-05-06T07:08:09.010Z'),
      token: 'tok',
      fencing: Number.MAX_SAFE_INTEGER,
    };
    const msg = wire(pb.MutexLeaseSchema, protoMutexLease(lease));
    expect(msg.fencing).toBe(TWO_53 - 1n);
    expect(msg.token).toBe('tok');
    expect(coreMutexRequest(create(pb.MutexSchema, { domain: msg.domain, key: msg.key, exp: msg.exp }))).toStrictEqual({
      domain: 'd',
      key: 'k',
      exp: lease.exp,
    });
  });

  it('a MutexLease reads as the Mutex it granted (the same field numbers)', () => {
    const lease: MutexLease = { domain: 'd', key: 'k', exp: new Date('2030-01-01T00:00:00Z'), token: 't', fencing: 1 };
    const asMutex = fromBinary(pb.MutexSchema, toBinary(pb.MutexLeaseSchema, protoMutexLease(lease)));
    expect(coreMutexRequest(asMutex)).toStrictEqual({ domain: 'd', key: 'k', exp: lease.exp });
  });

  it('Empty', () => {
    expect(protoEmpty().$typeName).toBe('google.protobuf.Empty');
  });
});
