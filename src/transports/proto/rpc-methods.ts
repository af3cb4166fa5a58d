import type { DescMessage, DescMethod, MessageShape } from '@bufbuild/protobuf';
import type { StategateApi, Subscription } from '../../core/api.js';
import { Method, type MethodName } from '../../core/methods.js';
import type { CallContext } from '../../core/ports/access.js';
import {
  CacheService,
  EntityService,
  EventService,
  MutexService,
  PeerService,
  TriggerService,
} from '../../generated/stategate_pb.js';
import {
  coreCacheEntry,
  coreCacheRef,
  coreEntityInput,
  coreEntityRef,
  coreEventRef,
  coreListTypesOpts,
  coreMessage,
  coreMutexRef,
  coreMutexRequest,
  coreSearchEntityOpts,
  coreSearchEventOpts,
  coreStreamEventOpts,
  coreStreamMessageOpts,
  protoCache,
  protoEmpty,
  protoEntities,
  protoEntity,
  protoEvent,
  protoEvents,
  protoMutexLease,
  protoPeerMessage,
  protoTypeCounts,
} from './convert.js';
import {
  coreReplayRequest,
  coreTriggerInput,
  protoReplayResult,
  protoTriggerInfo,
  protoTriggerInfos,
} from './trigger-convert.js';

interface RpcBase<I extends DescMessage, O extends DescMessage> {
  /** The gRPC full method, e.g. `/stategate.EntityService/Set`: the name core, policies and events use. */
  readonly path: MethodName;
  /** The fully-qualified service name, e.g. `stategate.EntityService`. */
  readonly service: string;
  /** The method's name as the proto spells it, e.g. `Set`. */
  readonly method: string;
  /** The method's descriptor: its service (`parent`), schemas and options (the `google.api.http` rule). */
  readonly descriptor: DescMethod;
  /** The request message's schema. */
  readonly input: I;
  /** The response message's schema (a stream's item). */
  readonly output: O;
}

/** A unary rpc: one request message, one response message. */
export interface UnaryRpc<I extends DescMessage = DescMessage, O extends DescMessage = DescMessage>
  extends RpcBase<I, O> {
  readonly kind: 'unary';
  /** Converts the request, calls core, converts the answer. Rejects with core's StategateError. */
  call(api: StategateApi, ctx: CallContext, request: MessageShape<I>): Promise<MessageShape<O>>;
}

/** A server-streaming rpc: one request message, a stream of response messages. */
export interface ServerStreamingRpc<I extends DescMessage = DescMessage, O extends DescMessage = DescMessage>
  extends RpcBase<I, O> {
  readonly kind: 'server_streaming';
  /**
   * Converts the request and opens the stream in core. Resolves once core admitted it (authentication,
   * validation and the request policy ran; their StategateError rejects here, before any item). The
   * stream then yields converted items, and throws core's StategateError when the server ends it (a full
   * buffer: RESOURCE_EXHAUSTED; shutdown: UNAVAILABLE). `close()` — or leaving a for-await loop — ends it;
   * call `close()` when the client goes away, even if the stream was never iterated.
   */
  call(api: StategateApi, ctx: CallContext, request: MessageShape<I>): Promise<Subscription<MessageShape<O>>>;
}

export type RpcMethod = UnaryRpc | ServerStreamingRpc;

type MethodDesc<K extends DescMethod['methodKind']> = DescMethod & {
  methodKind: K;
  input: DescMessage;
  output: DescMessage;
};

function base<M extends MethodDesc<DescMethod['methodKind']>>(descriptor: M): RpcBase<M['input'], M['output']> {
  const service = descriptor.parent.typeName;
  return {
    path: `/${service}/${descriptor.name}` as MethodName,
    service,
    method: descriptor.name,
    descriptor,
    input: descriptor.input,
    output: descriptor.output,
  };
}

function unary<M extends MethodDesc<'unary'>>(
  descriptor: M,
  call: (api: StategateApi, ctx: CallContext, request: MessageShape<M['input']>) => Promise<MessageShape<M['output']>>,
): UnaryRpc<M['input'], M['output']> {
  return { ...base(descriptor), kind: 'unary', call };
}

function serverStreaming<M extends MethodDesc<'server_streaming'>>(
  descriptor: M,
  call: (
    api: StategateApi,
    ctx: CallContext,
    request: MessageShape<M['input']>,
  ) => Promise<Subscription<MessageShape<M['output']>>>,
): ServerStreamingRpc<M['input'], M['output']> {
  return { ...base(descriptor), kind: 'server_streaming', call };
}

/** A core subscription whose items are converted on the way out; closing either closes both. */
export function mapSubscription<T, U>(source: Subscription<T>, map: (item: T) => U): Subscription<U> {
  return {
    close: () => source.close(),
    [Symbol.asyncIterator]() {
      const it = source[Symbol.asyncIterator]();
      return {
        async next(): Promise<IteratorResult<U>> {
          const result = await it.next();
          return result.done ? { value: undefined, done: true } : { value: map(result.value), done: false };
        },
        async return(): Promise<IteratorResult<U>> {
          source.close();
          await it.return?.();
          return { value: undefined, done: true };
        },
      };
    },
  };
}

/**
 * Every rpc of the proto, keyed by its gRPC full method name: the one table that the Connect/gRPC/gRPC-Web
 * routes, the REST routes and the conformance suite all use, so each rpc means the same core call on
 * every transport.
 */
export const rpcMethods = {
  [Method.entitySet]: unary(EntityService.method.set, async (api, ctx, req) => {
    await api.entities.set(ctx, coreEntityInput(req));
    return protoEmpty();
  }),
  [Method.entityEdit]: unary(EntityService.method.edit, async (api, ctx, req) =>
    protoEntity(await api.entities.edit(ctx, coreEntityInput(req))),
  ),
  [Method.entityRevert]: unary(EntityService.method.revert, async (api, ctx, req) =>
    protoEntity(await api.entities.revert(ctx, coreEventRef(req))),
  ),
  [Method.entityGet]: unary(EntityService.method.get, async (api, ctx, req) =>
    protoEntity(await api.entities.get(ctx, coreEntityRef(req))),
  ),
  [Method.entityDel]: unary(EntityService.method.del, async (api, ctx, req) => {
    await api.entities.del(ctx, coreEntityRef(req));
    return protoEmpty();
  }),
  [Method.entitySearch]: unary(EntityService.method.search, async (api, ctx, req) =>
    protoEntities(await api.entities.search(ctx, coreSearchEntityOpts(req))),
  ),
  [Method.entityListTypes]: unary(EntityService.method.listTypes, async (api, ctx, req) =>
    protoTypeCounts(await api.entities.listTypes(ctx, coreListTypesOpts(req))),
  ),
  [Method.eventStream]: serverStreaming(EventService.method.stream, async (api, ctx, req) =>
    mapSubscription(await api.events.stream(ctx, coreStreamEventOpts(req)), protoEvent),
  ),
  [Method.eventSearch]: unary(EventService.method.search, async (api, ctx, req) =>
    protoEvents(await api.events.search(ctx, coreSearchEventOpts(req))),
  ),
  [Method.eventGet]: unary(EventService.method.get, async (api, ctx, req) =>
    protoEvent(await api.events.get(ctx, coreEventRef(req))),
  ),
  [Method.peerBroadcast]: unary(PeerService.method.broadcast, async (api, ctx, req) => {
    await api.peers.broadcast(ctx, coreMessage(req));
    return protoEmpty();
  }),
  [Method.peerStream]: serverStreaming(PeerService.method.stream, async (api, ctx, req) =>
    mapSubscription(await api.peers.stream(ctx, coreStreamMessageOpts(req)), protoPeerMessage),
  ),
  [Method.cacheSet]: unary(CacheService.method.set, async (api, ctx, req) => {
    await api.cache.set(ctx, coreCacheEntry(req));
    return protoEmpty();
  }),
  [Method.cacheGet]: unary(CacheService.method.get, async (api, ctx, req) =>
    protoCache(await api.cache.get(ctx, coreCacheRef(req))),
  ),
  [Method.cacheDel]: unary(CacheService.method.del, async (api, ctx, req) => {
    await api.cache.del(ctx, coreCacheRef(req));
    return protoEmpty();
  }),
  [Method.mutexLock]: unary(MutexService.method.lock, async (api, ctx, req) =>
    protoMutexLease(await api.mutex.lock(ctx, coreMutexRequest(req))),
  ),
  [Method.mutexUnlock]: unary(MutexService.method.unlock, async (api, ctx, req) => {
    await api.mutex.unlock(ctx, coreMutexRef(req));
    return protoEmpty();
  }),
  [Method.triggerCreate]: unary(TriggerService.method.create, async (api, ctx, req) =>
    protoTriggerInfo(await api.triggers.create(ctx, coreTriggerInput(req))),
  ),
  [Method.triggerList]: unary(TriggerService.method.list, async (api, ctx, req) =>
    protoTriggerInfos(await api.triggers.list(ctx, req.prefix === '' ? {} : { prefix: req.prefix })),
  ),
  [Method.triggerGet]: unary(TriggerService.method.get, async (api, ctx, req) =>
    protoTriggerInfo(await api.triggers.get(ctx, req.name)),
  ),
  [Method.triggerDelete]: unary(TriggerService.method.delete, async (api, ctx, req) =>
    protoTriggerInfo(await api.triggers.delete(ctx, req.name)),
  ),
  [Method.triggerReplay]: unary(TriggerService.method.replay, async (api, ctx, req) =>
    protoReplayResult(await api.triggers.replay(ctx, coreReplayRequest(req))),
  ),
} as const satisfies Record<MethodName, RpcMethod>;

/** The rpcs in proto order (services as declared, methods as declared). */
export const rpcMethodList: readonly RpcMethod[] = Object.values(rpcMethods);

/** The rpc of a gRPC full method name (`/stategate.EntityService/Set`), if there is one. */
export function findRpc(path: string): RpcMethod | undefined {
  return Object.hasOwn(rpcMethods, path) ? rpcMethods[path as MethodName] : undefined;
}
