import {
  fromStruct,
  fromValue,
  GrpcClient,
  type GrpcStruct,
  type GrpcValue,
  grpc,
  grpcError,
  ORIGINAL_PROTO,
  toStruct,
  toValue,
} from '../support/grpc.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { eventSubscribers, messageSubscribers, openStore, UUID_V4, uid, until } from './helpers.js';

/**
 * gRPC against a real server through @grpc/grpc-js (an implementation independent of the server's),
 * loading proto/stategate.proto with @grpc/proto-loader: every rpc, the error codes, live streams and
 * resume, and an original-API client (test/fixtures/stategate_original.proto) that knows none of the
 * additions.
 */

interface EntityMsg {
  domain: string;
  type: string;
  key: string;
  values: GrpcStruct | null;
  version: string;
}
interface EventMsg {
  id: string;
  entity: EntityMsg;
  claims: GrpcStruct | null;
  time: string;
  method: string;
  position: string;
}
interface PeerMessageMsg {
  id: string;
  domain: string;
  channel: string;
  type: string;
  body: GrpcStruct | null;
  claims: GrpcStruct | null;
  time: string;
}

let server: TestServer;
let client: GrpcClient;
let store: ReturnType<typeof openStore>;
const D = 'e2e-grpc';
const T = 'user';

beforeAll(async () => {
  server = await startTestServer();
  client = new GrpcClient(server.app.url.replace(/^http:\/\//, ''));
  store = openStore(server);
});

afterAll(async () => {
  client?.close();
  store?.close();
  await server?.close();
});

const set = (key: string, values: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  client.call('EntityService', 'Set', { domain: D, type: T, key, values: toStruct(values as never), ...extra });
const get = (key: string, extra: Record<string, unknown> = {}) =>
  client.call<EntityMsg>('EntityService', 'Get', { domain: D, type: T, key, ...extra });
const plain = (e: EntityMsg) => ({ ...e, values: fromStruct(e.values) });
const searchEvents = async (key: string) =>
  (
    await client.call<{ events: EventMsg[] }>('EventService', 'Search', {
      domain: D,
      type: T,
      query_string: JSON.stringify({ 'entity.key': key }),
      limit: 100,
    })
  ).events;

describe('EntityService', () => {
  it('Set then Get: values and version', async () => {
    const key = uid();
    expect(await set(key, { a: 1, b: { c: [true, null, 'x'] } })).toEqual({});
    expect(plain(await get(key))).toEqual({
      domain: D,
      type: T,
      key,
      values: { a: 1, b: { c: [true, null, 'x'] } },
      version: '1',
    });
  });

  it('Edit merges (RFC 7386) and answers the new state', async () => {
    const key = uid();
    await set(key, { a: 1, b: { c: 2, d: 3 } });
    const edited = await client.call<EntityMsg>('EntityService', 'Edit', {
      domain: D,
      type: T,
      key,
      values: toStruct({ b: { c: null, e: 4 }, f: 'new' }),
    });
    expect(plain(edited)).toMatchObject({ values: { a: 1, b: { d: 3, e: 4 }, f: 'new' }, version: '2' });
  });

  it('Get by version and at a time (time travel)', async () => {
    const key = uid();
    await set(key, { n: 1 });
    const [first] = await searchEvents(key);
    await set(key, { n: 2 });
    expect(fromStruct((await get(key, { version: '1' })).values)).toEqual({ n: 1 });
    expect(fromStruct((await get(key, { at: first!.time })).values)).toEqual({ n: 1 });
    expect(fromStruct((await get(key)).values)).toEqual({ n: 2 });
  });

  it('Revert sets the state an event recorded, as a new version', async () => {
    const key = uid();
    await set(key, { n: 1 });
    await set(key, { n: 2 });
    const [first] = await searchEvents(key);
    const reverted = await client.call<EntityMsg>('EntityService', 'Revert', {
      domain: D,
      type: T,
      key,
      id: first!.id,
    });
    expect(plain(reverted)).toMatchObject({ values: { n: 1 }, version: '3' });
    const events = await searchEvents(key);
    expect(events.map((e) => e.method)).toContain('/stategate.EntityService/Revert');
  });

  it('Search with a query_string, limit and sort', async () => {
    const type = uid('t');
    for (const n of [3, 1, 2]) {
      await client.call('EntityService', 'Set', { domain: D, type, key: `k${n}`, values: toStruct({ n }) });
    }
    const { entities } = await client.call<{ entities: EntityMsg[] }>('EntityService', 'Search', {
      domain: D,
      type,
      query_string: JSON.stringify({ n: { $gte: 2 } }),
      limit: 10,
      sort: { field: 'n', reverse: true },
    });
    expect(entities.map((e) => fromStruct(e.values))).toEqual([{ n: 3 }, { n: 2 }]);
  });

  it('Del removes the entity (Get is NOT_FOUND); its event keeps the state before', async () => {
    const key = uid();
    await set(key, { gone: true });
    expect(await client.call('EntityService', 'Del', { domain: D, type: T, key })).toEqual({});
    await grpcError(get(key), grpc.status.NOT_FOUND);
    const events = await searchEvents(key);
    expect(events.at(-1)).toMatchObject({ method: '/stategate.EntityService/Del' });
    expect(fromStruct(events.at(-1)!.entity.values)).toEqual({ gone: true });
  });
});

describe('error codes', () => {
  it('INVALID_ARGUMENT for bad input, and nothing changes', async () => {
    const before = store.state();
    expect(await grpcError(set('', { a: 1 }), grpc.status.INVALID_ARGUMENT)).toMatch(/key/);
    await grpcError(
      client.call('EntityService', 'Set', { domain: D, type: T, key: uid() }),
      grpc.status.INVALID_ARGUMENT,
    );
    await grpcError(
      client.call('EntityService', 'Search', { domain: D, type: T, query_string: '{"$where": "1"}', limit: 1 }),
      grpc.status.INVALID_ARGUMENT,
    );
    expect(store.state()).toEqual(before);
  });

  it('NOT_FOUND for a missing entity, event or cache key; the message reads as core wrote it', async () => {
    const key = uid();
    // grpc-message is percent-encoded as the gRPC spec says, so grpc-js decodes "/" and ":" too.
    expect(await grpcError(get(key), grpc.status.NOT_FOUND)).toBe(`entity ${D}/${T}/${key} does not exist`);
    await grpcError(
      client.call('EventService', 'Get', {
        domain: D,
        type: T,
        key: uid(),
        id: '9b2f1c1e-8e0a-4b5e-9d7a-3c4b5a6d7e8f',
      }),
      grpc.status.NOT_FOUND,
    );
    await grpcError(client.call('CacheService', 'Get', { domain: D, key: uid() }), grpc.status.NOT_FOUND);
  });

  it('ABORTED for a version precondition that does not hold', async () => {
    const key = uid();
    await set(key, { n: 1 });
    await grpcError(set(key, { n: 2 }, { version: '5' }), grpc.status.ABORTED);
    await grpcError(set(key, { n: 2 }, { version: '-1' }), grpc.status.ABORTED);
    expect((await get(key)).version).toBe('1');
  });

  it('ALREADY_EXISTS for a held mutex, FAILED_PRECONDITION for a wrong token', async () => {
    const key = uid();
    await client.call('MutexService', 'Lock', { domain: D, key });
    await grpcError(client.call('MutexService', 'Lock', { domain: D, key }), grpc.status.ALREADY_EXISTS);
    await grpcError(
      client.call('MutexService', 'Unlock', { domain: D, key, token: 'not-the-token' }),
      grpc.status.FAILED_PRECONDITION,
    );
  });

  it('UNIMPLEMENTED for an rpc the server does not have', async () => {
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      const raw = new grpc.Client(server.app.url.replace(/^http:\/\//, ''), grpc.credentials.createInsecure());
      raw.makeUnaryRequest(
        '/stategate.EntityService/Nope',
        (x: Buffer) => x,
        (x: Buffer) => x,
        Buffer.alloc(0),
        (e) => {
          raw.close();
          resolve(e!);
        },
      );
    });
    expect(err.code).toBe(grpc.status.UNIMPLEMENTED);
  });
});

describe('EventService', () => {
  it('Get and Search: id, full entity, method, claims, time, position', async () => {
    const key = uid();
    await set(key, { n: 1 });
    const [event] = await searchEvents(key);
    expect(event).toMatchObject({ method: '/stategate.EntityService/Set', entity: { key, version: '1' } });
    expect(event!.id).toMatch(UUID_V4);
    expect(Number(event!.position)).toBeGreaterThan(0);
    expect(BigInt(event!.time)).toBeGreaterThan(0n);
    expect(fromStruct(event!.claims)).toEqual({});
    const got = await client.call<EventMsg>('EventService', 'Get', { domain: D, type: T, key, id: event!.id });
    expect(got).toEqual(event);
  });

  it('Stream delivers live events; an event set over gRPC records /stategate.EntityService/Set', async () => {
    const type = uid('live');
    const stream = client.stream<EventMsg>('EventService', 'Stream', { domain: D, type });
    try {
      await until(() => eventSubscribers(server) > 0, 'the stream is registered');
      await client.call('EntityService', 'Set', { domain: D, type, key: 'a', values: toStruct({ i: 1 }) });
      await client.call('EntityService', 'Set', { domain: D, type, key: 'b', values: toStruct({ i: 2 }) });
      await stream.waitFor(2);
      expect(stream.items.map((e) => [e.entity.key, fromStruct(e.entity.values), e.method])).toEqual([
        ['a', { i: 1 }, '/stategate.EntityService/Set'],
        ['b', { i: 2 }, '/stategate.EntityService/Set'],
      ]);
    } finally {
      stream.cancel();
    }
    expect((await stream.ended).code).toBe(grpc.status.CANCELLED);
    // The server closed the core subscription when the client went away.
    await until(() => eventSubscribers(server) === 0, 'the stream is closed on the server');
  });

  it('Stream with `after` replays stored events past that position, then continues live', async () => {
    const type = uid('resume');
    for (const i of [1, 2, 3]) {
      await client.call('EntityService', 'Set', { domain: D, type, key: `k${i}`, values: toStruct({ i }) });
    }
    const stored = (
      await client.call<{ events: EventMsg[] }>('EventService', 'Search', { domain: D, type, limit: 10 })
    ).events.sort((x, y) => Number(x.position) - Number(y.position));
    const stream = client.stream<EventMsg>('EventService', 'Stream', { domain: D, type, after: stored[0]!.position });
    try {
      await stream.waitFor(2);
      await client.call('EntityService', 'Set', { domain: D, type, key: 'k4', values: toStruct({ i: 4 }) });
      await stream.waitFor(3);
      expect(stream.items.map((e) => e.entity.key)).toEqual(['k2', 'k3', 'k4']);
      const positions = stream.items.map((e) => Number(e.position));
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
    } finally {
      stream.cancel();
    }
  });

  it('Stream filters by key glob', async () => {
    const type = uid('glob');
    const stream = client.stream<EventMsg>('EventService', 'Stream', { domain: D, type, key: 'user-*' });
    try {
      await until(() => eventSubscribers(server) > 0, 'the stream is registered');
      await client.call('EntityService', 'Set', { domain: D, type, key: 'admin-1', values: toStruct({}) });
      await client.call('EntityService', 'Set', { domain: D, type, key: 'user-1', values: toStruct({}) });
      await stream.waitFor(1);
      expect(stream.items.map((e) => e.entity.key)).toEqual(['user-1']);
    } finally {
      stream.cancel();
    }
  });

  it('Stream with a bad glob fails with INVALID_ARGUMENT before any item', async () => {
    const stream = client.stream('EventService', 'Stream', { domain: D, key: 'x'.repeat(10_000) });
    expect(await stream.ended).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    expect(stream.items).toEqual([]);
  });
});

describe('PeerService', () => {
  it('Broadcast reaches a live Stream subscriber', async () => {
    const channel = uid('ch');
    const stream = client.stream<PeerMessageMsg>('PeerService', 'Stream', { domain: D, channel });
    try {
      await until(() => messageSubscribers(server) > 0, 'the stream is registered');
      const body = { hello: 'peers', n: [1, 2] };
      expect(
        await client.call('PeerService', 'Broadcast', { domain: D, channel, type: 'greeting', body: toStruct(body) }),
      ).toEqual({});
      await stream.waitFor(1);
      const [message] = stream.items;
      expect({ ...message, body: fromStruct(message!.body), claims: fromStruct(message!.claims) }).toEqual({
        id: expect.stringMatching(UUID_V4),
        domain: D,
        channel,
        type: 'greeting',
        body,
        claims: {},
        time: expect.stringMatching(/^\d+$/),
      });
    } finally {
      stream.cancel();
    }
    await until(() => messageSubscribers(server) === 0, 'the stream is closed on the server');
  });
});

describe('CacheService and MutexService', () => {
  it('Cache Set / Get / Del with any JSON value and an expiry', async () => {
    const key = uid();
    const exp = { seconds: String(Math.floor(Date.now() / 1000) + 3600), nanos: 0 };
    expect(
      await client.call('CacheService', 'Set', { domain: D, key, value: toValue([1, 'a', { b: null }]), exp }),
    ).toEqual({});
    const got = await client.call<{ domain: string; key: string; value: GrpcValue; exp: typeof exp }>(
      'CacheService',
      'Get',
      {
        domain: D,
        key,
      },
    );
    expect({ ...got, value: fromValue(got.value) }).toEqual({ domain: D, key, value: [1, 'a', { b: null }], exp });
    expect(await client.call('CacheService', 'Del', { domain: D, key })).toEqual({});
    await grpcError(client.call('CacheService', 'Get', { domain: D, key }), grpc.status.NOT_FOUND);
  });

  it('Lock answers a MutexLease; Unlock with its token frees the key; fencing rises', async () => {
    const key = uid();
    type Lease = { domain: string; key: string; token: string; fencing: string; exp: { seconds: string } };
    const lease = await client.call<Lease>('MutexService', 'Lock', { domain: D, key });
    expect(lease).toMatchObject({ domain: D, key, token: expect.any(String), fencing: expect.stringMatching(/^\d+$/) });
    expect(Number(lease.exp.seconds)).toBeGreaterThan(Date.now() / 1000);
    expect(await client.call('MutexService', 'Unlock', { domain: D, key, token: lease.token })).toEqual({});
    const next = await client.call<Lease>('MutexService', 'Lock', { domain: D, key });
    expect(BigInt(next.fencing)).toBeGreaterThan(BigInt(lease.fencing));
  });
});

describe('health', () => {
  it('grpc.health.v1.Health/Check is SERVING for the server and each stategate service; unknown is NOT_FOUND', async () => {
    const health = new grpc.Client(server.app.url.replace(/^http:\/\//, ''), grpc.credentials.createInsecure());
    // HealthCheckRequest {service} and HealthCheckResponse {status}, encoded by hand: field 1 each.
    const encode = (service: string) => {
      const bytes = Buffer.from(service, 'utf8');
      return bytes.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, bytes.length]), bytes]);
    };
    const check = (service: string) =>
      new Promise<number>((resolve, reject) =>
        health.makeUnaryRequest(
          '/grpc.health.v1.Health/Check',
          (x: string) => encode(x),
          (b: Buffer) => b,
          service,
          (err, value) => (err ? reject(err) : resolve(value && value.length === 2 ? value[1]! : 0)),
        ),
      );
    try {
      const SERVING = 1;
      for (const service of ['', 'stategate.EntityService', 'stategate.EventService', 'stategate.MutexService']) {
        expect({ service, status: await check(service) }).toEqual({ service, status: SERVING });
      }
      await grpcError(check('nope.Service'), grpc.status.NOT_FOUND);
    } finally {
      health.close();
    }
  });
});

describe('an original-API client (stategate_original.proto: no additions)', () => {
  let original: GrpcClient;
  beforeAll(() => {
    original = new GrpcClient(server.app.url.replace(/^http:\/\//, ''), { proto: ORIGINAL_PROTO });
  });
  afterAll(() => original?.close());

  it('sets and gets entities; unknown new fields are skipped', async () => {
    const key = uid();
    expect(
      await original.call('EntityService', 'Set', { domain: D, type: T, key, values: toStruct({ old: true }) }),
    ).toEqual({});
    const entity = await original.call<EntityMsg>('EntityService', 'Get', { domain: D, type: T, key });
    expect({ ...entity, values: fromStruct(entity.values) }).toEqual({
      domain: D,
      type: T,
      key,
      values: { old: true },
    });
    // The new server saw the write as any other.
    expect((await get(key)).version).toBe('1');
  });

  it('streams and searches events without the new fields', async () => {
    const type = uid('old');
    const stream = original.stream<Omit<EventMsg, 'position'>>('EventService', 'Stream', { domain: D, type });
    try {
      await until(() => eventSubscribers(server) > 0, 'the stream is registered');
      await original.call('EntityService', 'Set', { domain: D, type, key: 'k', values: toStruct({ v: 1 }) });
      await stream.waitFor(1);
      expect(stream.items[0]).toMatchObject({ method: '/stategate.EntityService/Set', entity: { key: 'k' } });
      expect(stream.items[0]).not.toHaveProperty('position');
    } finally {
      stream.cancel();
    }
  });

  it('Lock works, its MutexLease read as Empty; Unlock without a token frees the key', async () => {
    const key = uid();
    expect(await original.call('MutexService', 'Lock', { domain: D, key })).toEqual({});
    await grpcError(original.call('MutexService', 'Lock', { domain: D, key }), grpc.status.ALREADY_EXISTS);
    expect(await original.call('MutexService', 'Unlock', { domain: D, key })).toEqual({});
    expect(await original.call('MutexService', 'Lock', { domain: D, key })).toEqual({});
  });
});
