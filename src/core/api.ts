import type {
  CacheEntry,
  CacheRef,
  Entity,
  EntityInput,
  EntityKey,
  EntityRef,
  Event,
  EventRef,
  JsonObject,
  ListTypesOpts,
  Message,
  MutexLease,
  MutexRef,
  MutexRequest,
  PeerMessage,
  SearchEntityOpts,
  SearchEventOpts,
  StreamEventOpts,
  StreamMessageOpts,
  TypeCount,
} from './model.js';
import type { CallContext } from './ports/access.js';
import type { ReplayRequest, TriggerInput, TriggerView } from './triggers/model.js';

/**
 * A live stream of items. Iterate it; `close()` (or leaving a for-await loop) ends it. When the server
 * cuts a subscriber off (a full buffer, shutdown) the iterator throws a StategateError saying why.
 */
export interface Subscription<T> extends AsyncIterable<T> {
  close(): void;
}

/**
 * The whole API as every transport sees it: authenticated, validated, authorized and filtered by the
 * response policy. Transports translate their wire format to these calls and StategateErrors back.
 */
export interface StategateApi {
  /**
   * The caller's verified claims (`{}` when authentication is off), or UNAUTHENTICATED. For transports
   * that authenticate a connection once before its operations, e.g. graphql-ws at `connection_init`.
   */
  authenticate(ctx: CallContext): Promise<JsonObject>;
  entities: {
    /** Replaces the entity's values; resolves with the event it appended. */
    set(ctx: CallContext, input: EntityInput): Promise<Event>;
    /** JSON Merge Patch (RFC 7386) of the values; NOT_FOUND for a missing entity. */
    edit(ctx: CallContext, input: EntityInput): Promise<Entity>;
    revert(ctx: CallContext, ref: EventRef): Promise<Entity>;
    get(ctx: CallContext, ref: EntityRef): Promise<Entity>;
    /** Current states of many entities at once (null where absent or withheld); for batching loaders. */
    getMany(ctx: CallContext, keys: readonly EntityKey[]): Promise<(Entity | null)[]>;
    del(ctx: CallContext, ref: EntityRef): Promise<Event>;
    search(ctx: CallContext, opts: SearchEntityOpts): Promise<Entity[]>;
    /** The domains and types that hold live entities, with their counts (each pair decided by the response policy). */
    listTypes(ctx: CallContext, opts: ListTypesOpts): Promise<TypeCount[]>;
  };
  events: {
    stream(ctx: CallContext, opts: StreamEventOpts): Promise<Subscription<Event>>;
    search(ctx: CallContext, opts: SearchEventOpts): Promise<Event[]>;
    get(ctx: CallContext, ref: EventRef): Promise<Event>;
  };
  peers: {
    broadcast(ctx: CallContext, message: Message): Promise<PeerMessage>;
    stream(ctx: CallContext, opts: StreamMessageOpts): Promise<Subscription<PeerMessage>>;
  };
  cache: {
    set(ctx: CallContext, entry: CacheEntry): Promise<void>;
    get(ctx: CallContext, ref: CacheRef): Promise<CacheEntry>;
    del(ctx: CallContext, ref: CacheRef): Promise<void>;
  };
  mutex: {
    lock(ctx: CallContext, request: MutexRequest): Promise<MutexLease>;
    unlock(ctx: CallContext, ref: MutexRef): Promise<void>;
  };
  /** Event triggers (UNIMPLEMENTED on a storage provider that cannot keep them). Views never carry the secret. */
  triggers: {
    create(ctx: CallContext, input: TriggerInput): Promise<TriggerView>;
    /** By name; only those whose name starts with `prefix` when given. */
    list(ctx: CallContext, opts?: { prefix?: string }): Promise<TriggerView[]>;
    /** With the trigger's dead letters (the oldest 100). */
    get(ctx: CallContext, name: string): Promise<TriggerView>;
    /** Resolves with the trigger as it was; its cursor and dead letters go too. */
    delete(ctx: CallContext, name: string): Promise<TriggerView>;
    /** Sends the named dead letters (all when none are named) again; how many were marked. */
    replay(ctx: CallContext, request: ReplayRequest): Promise<{ replayed: number }>;
  };
}
