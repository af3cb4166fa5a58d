import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { StategateError } from '../../src/core/errors.js';
import { Method } from '../../src/core/methods.js';
import type { CallContext } from '../../src/core/ports/access.js';
import { createStategate, type Stategate } from '../../src/core/stategate.js';
import * as pb from '../../src/generated/stategate_pb.js';
import { createAllowAllPolicy } from '../../src/policy/allow-all.js';
import { createMemoryBus } from '../../src/providers/bus/memory-bus.js';
import { createMemoryCache } from '../../src/providers/cache/memory-cache.js';
import { createMemoryMutex } from '../../src/providers/mutex/memory-mutex.js';
import { createSqliteStorage } from '../../src/providers/storage/sqlite/sqlite-storage.js';
import { jsonToValue } from '../../src/transports/proto/json-value.js';
import { findRpc, mapSubscription, rpcMethodList, rpcMethods } from '../../src/transports/proto/rpc-methods.js';
import { FakeSubscription } from './support/fake-api.js';

const ctx: CallContext = { transport: 'grpc', metadata: {} };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'OK';
  } catch (err) {
    return err instanceof StategateError ? err.code : String(err);
  }
}

/** The next item of a stream, or a failure after `ms`. */
function nextWithin<T>(it: AsyncIterator<T>, ms = 2000): Promise<IteratorResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no stream item within ${ms} ms`)), ms);
  });
  return Promise.race([it.next(), timeout]).finally(() => clearTimeout(timer));
}

async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('rpcMethods: the one table of rpcs', () => {
  it('has every rpc of the proto once, keyed by its gRPC full method name', () => {
    expect(Object.keys(rpcMethods).sort()).toEqual(Object.values(Method).sort());
    const declared = pb.file_stategate.services.flatMap((s) => s.methods);
    expect(rpcMethodList.map((r) => r.descriptor)).toEqual(declared);
    for (const rpc of rpcMethodList) {
      expect(rpc.path).toBe(`/${rpc.descriptor.parent.typeName}/${rpc.descriptor.name}`);
      expect(rpc.service).toBe(rpc.descriptor.parent.typeName);
      expect(rpc.method).toBe(rpc.descriptor.name);
      expect(rpc.kind).toBe(rpc.descriptor.methodKind);
      expect(rpc.input).toBe(rpc.descriptor.input);
      expect(rpc.output).toBe(rpc.descriptor.output);
      expect(findRpc(rpc.path)).toBe(rpc);
    }
    expect(rpcMethodList.filter((r) => r.kind === 'server_streaming').map((r) => r.path)).toEqual([
      Method.eventStream,
      Method.peerStream,
    ]);
    expect(findRpc('/stategate.EntityService/Nope')).toBeUndefined();
    expect(findRpc('toString')).toBeUndefined();
  });
});

describe('rpcMethods against a real core (sqlite in memory, memory providers)', () => {
  let stategate: Stategate;

  beforeEach(async () => {
    stategate = await createStategate({
      storage: createSqliteStorage({ path: ':memory:' }),
      bus: createMemoryBus(),
      cache: createMemoryCache(),
      mutex: createMemoryMutex(),
      access: createAllowAllPolicy(),
    });
  });

  afterEach(async () => {
    await stategate.close();
  });

  const api = () => stategate.api;
  const ref = { domain: 'acme', type: 'user', key: 'alice' };

  it('entities: Set, Get, Edit, Search, Del, Revert through proto messages', async () => {
    const set = await rpcMethods[Method.entitySet].call(
      api(),
      ctx,
      create(pb.EntitySchema, { ...ref, values: { name: 'Alice', age: 30 } }),
    );
    expect(set.$typeName).toBe('google.protobuf.Empty');

    const got = await rpcMethods[Method.entityGet].call(api(), ctx, create(pb.EntityRefSchema, ref));
    expect(got).toMatchObject({ ...ref, values: { name: 'Alice', age: 30 }, version: 1n });

    const edited = await rpcMethods[Method.entityEdit].call(
      api(),
      ctx,
      create(pb.EntitySchema, { ...ref, values: { age: null, city: 'Oslo' }, version: 1n }),
    );
    expect(edited).toMatchObject({ values: { name: 'Alice', city: 'Oslo' }, version: 2n });

    const found = await rpcMethods[Method.entitySearch].call(
      api(),
      ctx,
      create(pb.SearchEntityOptsSchema, { domain: 'acme', type: 'user', queryString: '{"city":"Oslo"}', limit: 10 }),
    );
    expect(found.entities.map((e) => e.key)).toEqual(['alice']);

    const v1 = await rpcMethods[Method.entityGet].call(api(), ctx, create(pb.EntityRefSchema, { ...ref, version: 1n }));
    expect(v1.values).toEqual({ name: 'Alice', age: 30 });

    const events = await rpcMethods[Method.eventSearch].call(
      api(),
      ctx,
      create(pb.SearchEventOptsSchema, { domain: 'acme', type: 'user', limit: 10, sort: { field: 'time' } }),
    );
    expect(events.events.map((e) => [e.method, e.entity?.version])).toEqual([
      [Method.entitySet, 1n],
      [Method.entityEdit, 2n],
    ]);
    const first = events.events[0]!;
    expect(first.time > 0n && first.position > 0n).toBe(true);

    const one = await rpcMethods[Method.eventGet].call(api(), ctx, create(pb.EventRefSchema, { ...ref, id: first.id }));
    expect(one.id).toBe(first.id);

    const after = await rpcMethods[Method.eventSearch].call(
      api(),
      ctx,
      create(pb.SearchEventOptsSchema, { domain: 'acme', type: 'user', limit: 10, after: first.position }),
    );
    expect(after.events.map((e) => e.id)).toEqual([events.events[1]!.id]);

    // Del with a stale version precondition: ABORTED, nothing changes.
    expect(
      await codeOf(rpcMethods[Method.entityDel].call(api(), ctx, create(pb.EntityRefSchema, { ...ref, version: 1n }))),
    ).toBe('ABORTED');
    await rpcMethods[Method.entityDel].call(api(), ctx, create(pb.EntityRefSchema, { ...ref, version: 2n }));
    expect(await codeOf(rpcMethods[Method.entityGet].call(api(), ctx, create(pb.EntityRefSchema, ref)))).toBe(
      'NOT_FOUND',
    );

    const reverted = await rpcMethods[Method.entityRevert].call(
      api(),
      ctx,
      create(pb.EventRefSchema, { ...ref, id: first.id }),
    );
    expect(reverted).toMatchObject({ values: { name: 'Alice', age: 30 }, version: 4n });
  });

  it('refuses bad input exactly as core does: proto3 zero values are not smuggled past validation', async () => {
    const cases: [string, Promise<unknown>][] = [
      ['values unset', rpcMethods[Method.entitySet].call(api(), ctx, create(pb.EntitySchema, ref))],
      ['domain empty', rpcMethods[Method.entitySet].call(api(), ctx, create(pb.EntitySchema, { values: {} }))],
      [
        'version beyond 2^53',
        rpcMethods[Method.entitySet].call(
          api(),
          ctx,
          create(pb.EntitySchema, { ...ref, values: {}, version: 2n ** 53n }),
        ),
      ],
      [
        'limit 0',
        rpcMethods[Method.entitySearch].call(api(), ctx, create(pb.SearchEntityOptsSchema, { domain: 'a', type: 'b' })),
      ],
      [
        'event limit 0',
        rpcMethods[Method.eventSearch].call(api(), ctx, create(pb.SearchEventOptsSchema, { domain: 'a', type: 'b' })),
      ],
      ['bad uuid', rpcMethods[Method.eventGet].call(api(), ctx, create(pb.EventRefSchema, { ...ref, id: 'nope' }))],
      [
        'body unset',
        rpcMethods[Method.peerBroadcast].call(
          api(),
          ctx,
          create(pb.MessageSchema, { domain: 'd', channel: 'c', type: 't' }),
        ),
      ],
      ['value unset', rpcMethods[Method.cacheSet].call(api(), ctx, create(pb.CacheSchema, { domain: 'd', key: 'k' }))],
      [
        'exp in the past',
        rpcMethods[Method.cacheSet].call(
          api(),
          ctx,
          create(pb.CacheSchema, {
            domain: 'd',
            key: 'k',
            value: jsonToValue(1),
            exp: timestampFromDate(new Date(1000)),
          }),
        ),
      ],
      ['negative at', rpcMethods[Method.entityGet].call(api(), ctx, create(pb.EntityRefSchema, { ...ref, at: -1n }))],
      [
        'stream after beyond 2^53',
        rpcMethods[Method.eventStream].call(api(), ctx, create(pb.StreamEventOptsSchema, { after: 2n ** 60n })),
      ],
    ];
    for (const [name, promise] of cases) expect([name, await codeOf(promise)]).toEqual([name, 'INVALID_ARGUMENT']);
    const nothing = await rpcMethods[Method.eventSearch].call(
      api(),
      ctx,
      create(pb.SearchEventOptsSchema, { domain: 'acme', type: 'user', limit: 10 }),
    );
    expect(nothing.events).toEqual([]);
  });

  it('EventService.Stream: resumes with after, then continues live, as proto Events', async () => {
    const set = (values: Record<string, number>) =>
      rpcMethods[Method.entitySet].call(api(), ctx, create(pb.EntitySchema, { ...ref, values }));
    await set({ n: 1 });
    await set({ n: 2 });

    const stream = await rpcMethods[Method.eventStream].call(
      api(),
      ctx,
      create(pb.StreamEventOptsSchema, { domain: 'acme', key: 'ali*', after: 0n }),
    );
    const it = stream[Symbol.asyncIterator]();
    const replayed = [await nextWithin(it), await nextWithin(it)];
    expect(replayed.map((r) => (r.done ? null : r.value.entity?.values))).toEqual([{ n: 1 }, { n: 2 }]);
    expect(replayed.every((r) => !r.done && r.value.$typeName === 'stategate.Event')).toBe(true);

    await set({ n: 3 });
    const live = await nextWithin(it);
    expect(live.done ? null : [live.value.entity?.values, live.value.entity?.version, live.value.method]).toEqual([
      { n: 3 },
      3n,
      Method.entitySet,
    ]);

    await it.return?.();
    await until(() => stategate.stats().eventSubscribers === 0);
  });

  it('a stream closed before it was ever iterated releases its subscriber', async () => {
    const stream = await rpcMethods[Method.eventStream].call(api(), ctx, create(pb.StreamEventOptsSchema));
    expect(stategate.stats().eventSubscribers).toBe(1);
    stream.close();
    await until(() => stategate.stats().eventSubscribers === 0);
  });

  it('PeerService: Broadcast reaches a matching Stream as a PeerMessage', async () => {
    const stream = await rpcMethods[Method.peerStream].call(
      api(),
      ctx,
      create(pb.StreamMessageOptsSchema, { channel: 'gen*' }),
    );
    const it = stream[Symbol.asyncIterator]();
    const pending = nextWithin(it);
    const empty = await rpcMethods[Method.peerBroadcast].call(
      api(),
      ctx,
      create(pb.MessageSchema, { domain: 'd', channel: 'general', type: 'chat', body: { text: 'hi' } }),
    );
    expect(empty.$typeName).toBe('google.protobuf.Empty');
    const got = await pending;
    expect(got.done ? null : got.value).toMatchObject({
      $typeName: 'stategate.PeerMessage',
      domain: 'd',
      channel: 'general',
      type: 'chat',
      body: { text: 'hi' },
      claims: {},
    });
    expect(!got.done && got.value.time > 0n && got.value.id.length === 36).toBe(true);
    stream.close();
  });

  it('CacheService: Set, Get, Del with any JSON value', async () => {
    const cacheRef = { domain: 'd', key: 'k' };
    const exp = new Date(Date.now() + 60_000);
    await rpcMethods[Method.cacheSet].call(
      api(),
      ctx,
      create(pb.CacheSchema, { ...cacheRef, value: jsonToValue([1, { a: null }]), exp: timestampFromDate(exp) }),
    );
    const got = await rpcMethods[Method.cacheGet].call(api(), ctx, create(pb.CacheRefSchema, cacheRef));
    expect(got.value?.kind.case).toBe('listValue');
    expect(got.exp).toEqual(timestampFromDate(exp));
    await rpcMethods[Method.cacheDel].call(api(), ctx, create(pb.CacheRefSchema, cacheRef));
    expect(await codeOf(rpcMethods[Method.cacheGet].call(api(), ctx, create(pb.CacheRefSchema, cacheRef)))).toBe(
      'NOT_FOUND',
    );
  });

  it('MutexService: Lock answers a lease; a second Lock is ALREADY_EXISTS; Unlock honours the token', async () => {
    const mutex = { domain: 'd', key: 'm' };
    const lease = await rpcMethods[Method.mutexLock].call(api(), ctx, create(pb.MutexSchema, mutex));
    expect(lease).toMatchObject({ $typeName: 'stategate.MutexLease', ...mutex });
    expect(lease.token).not.toBe('');
    expect(lease.fencing > 0n).toBe(true);
    expect(lease.exp).toBeDefined();

    expect(await codeOf(rpcMethods[Method.mutexLock].call(api(), ctx, create(pb.MutexSchema, mutex)))).toBe(
      'ALREADY_EXISTS',
    );
    expect(
      await codeOf(
        rpcMethods[Method.mutexUnlock].call(api(), ctx, create(pb.MutexRefSchema, { ...mutex, token: 'not-it' })),
      ),
    ).toBe('FAILED_PRECONDITION');
    await rpcMethods[Method.mutexUnlock].call(api(), ctx, create(pb.MutexRefSchema, { ...mutex, token: lease.token }));

    const next = await rpcMethods[Method.mutexLock].call(api(), ctx, create(pb.MutexSchema, mutex));
    expect(next.fencing > lease.fencing).toBe(true);
  });
});

describe('mapSubscription', () => {
  it('converts items, passes a server failure on as it is, and closes the source', async () => {
    const source = new FakeSubscription<number>();
    const mapped = mapSubscription(source, (n) => `#${n}`);
    const it = mapped[Symbol.asyncIterator]();
    source.push(1);
    expect(await it.next()).toEqual({ value: '#1', done: false });
    const failure = new StategateError('RESOURCE_EXHAUSTED', 'too slow');
    source.fail(failure);
    await expect(it.next()).rejects.toBe(failure);
    mapped.close();
    expect(source.closed).toBe(true);
  });
});
