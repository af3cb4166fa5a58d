import { randomUUID } from 'node:crypto';
import type { AdmissionLimits } from './admission.js';
import type { StategateApi } from './api.js';
import { type Clock, createSystemClock } from './clock.js';
import { StategateError } from './errors.js';
import { Guard } from './guard.js';
import { defaultLimits, type Limits } from './limits.js';
import { Method } from './methods.js';
import type { AccessPolicy } from './ports/access.js';
import type { BusProvider } from './ports/bus.js';
import type { CacheProvider, MutexProvider } from './ports/cache.js';
import { type Logger, silentLogger } from './ports/logger.js';
import { type Metrics, noMetrics } from './ports/metrics.js';
import type { StorageProvider } from './ports/storage.js';
import { noTracer, type Tracer } from './ports/tracer.js';
import type { TriggerStore } from './ports/trigger-store.js';
import { type Readiness, type ReadinessOptions, ReadinessProbe } from './readiness.js';
import { CacheService } from './services/cache.js';
import { EntityService } from './services/entities.js';
import { EventService } from './services/events.js';
import { MutexService } from './services/mutex.js';
import { PeerService } from './services/peers.js';
import { EventHub } from './stream/event-hub.js';
import { MessageHub } from './stream/message-hub.js';
import type { TriggerSpec } from './triggers/model.js';
import type { WebhookSender } from './triggers/ports.js';
import { TriggerEngine } from './triggers/trigger-engine.js';
import { TriggerService } from './triggers/trigger-service.js';

export interface StategateDeps {
  storage: StorageProvider;
  bus: BusProvider;
  cache: CacheProvider;
  mutex: MutexProvider;
  access: AccessPolicy;
  /** Rate limit, in-flight bound and streams per principal; default: unlimited. */
  admission?: AdmissionLimits;
  limits?: Partial<Limits>;
  clock?: Clock;
  logger?: Logger;
  /** Where operations metrics go; default: nowhere. */
  metrics?: Metrics;
  /** Where the stages of each call are traced; default: nowhere. */
  tracer?: Tracer;
  readiness?: ReadinessOptions;
  /** Event triggers; absent = the trigger API answers UNIMPLEMENTED (a storage provider without a trigger store). */
  triggers?: TriggerDeps;
}

export interface TriggerDeps {
  store: TriggerStore;
  sender: WebhookSender;
  /** STATEGATE_TRIGGERS: created or updated at start. */
  declared: readonly { spec: TriggerSpec; from: 'now' | number }[];
  concurrency: number;
  leaseMs: number;
  /** How often each delivering instance reads the log for new events while idle, ms (default 200). */
  pollMs?: number;
}

/** How long a shutdown waits for calls in flight, and for which (see Stategate.close). */
export interface ShutdownDrain {
  /** The longest wait for calls in flight, in ms; then the providers close regardless. */
  timeoutMs?: number;
  /** Resolves once the transports answered every request they were still reading (before core saw it). */
  transports?: () => Promise<void>;
}

/** A running core: the API every transport calls, stream statistics, and an orderly shutdown. */
export interface Stategate {
  api: StategateApi;
  stats(): { eventSubscribers: number; messageSubscribers: number; bufferedItems: number; logPosition: number };
  /** Whether this instance should get traffic (see Readiness); cached briefly, never hangs. */
  readiness(): Promise<Readiness>;
  /**
   * Ends every stream (UNAVAILABLE), lets the calls already running finish, then closes the providers. The
   * wait lasts `drain.timeoutMs` at most (default 10 s); `drain.transports` resolves once the calls a
   * transport is still reading have been answered (they may not have reached core yet).
   */
  close(drain?: ShutdownDrain): Promise<void>;
}

/** Wires the services to their providers behind the guard, and starts the stream hubs. */
export async function createStategate(deps: StategateDeps): Promise<Stategate> {
  const limits: Limits = { ...defaultLimits, ...deps.limits };
  const clock = deps.clock ?? createSystemClock();
  const logger = deps.logger ?? silentLogger;
  const metrics = deps.metrics ?? noMetrics;
  const tracer = deps.tracer ?? noTracer;
  const newId = () => randomUUID();

  const eventHub = new EventHub(deps.storage, deps.bus, limits, logger, metrics, tracer);
  const messageHub = new MessageHub(deps.bus, limits, logger, metrics);
  await eventHub.start();
  await messageHub.start();

  const entities = new EntityService({ storage: deps.storage, hub: eventHub, clock, limits, newId });
  const events = new EventService(deps.storage, eventHub, limits);
  const peers = new PeerService(messageHub, clock, limits, newId);
  const cache = new CacheService(deps.cache, clock, limits, metrics);
  const mutex = new MutexService(deps.mutex, clock, limits, metrics);
  const guard = new Guard(deps.access, deps.admission, logger, metrics, tracer);
  const triggers = deps.triggers ? await startTriggers(deps, deps.triggers, limits, logger, metrics) : null;
  const triggerCall = <I, O>(
    method: string,
    ctx: Parameters<typeof guard.unary>[1],
    validate: (service: TriggerService) => I,
    run: (service: TriggerService, input: I) => Promise<O>,
  ) =>
    guard.unary(
      method,
      ctx,
      () => validate(triggersOrRefuse(triggers)),
      (input) => run(triggersOrRefuse(triggers), input),
    );
  const readiness = new ReadinessProbe(
    {
      // The cheapest real query every storage has: one indexed MAX over the log.
      storage: () => deps.storage.headPosition(),
      bus: deps.bus.ping?.bind(deps.bus),
      cache: deps.cache.ping?.bind(deps.cache),
      mutex: deps.mutex.ping?.bind(deps.mutex),
    },
    logger,
    deps.readiness,
  );

  const api: StategateApi = {
    authenticate: (ctx) => guard.authenticate(ctx),
    entities: {
      set: (ctx, input) =>
        guard.unary(
          Method.entitySet,
          ctx,
          () => entities.validateInput(input),
          (i, claims) => entities.set(i, claims),
        ),
      edit: (ctx, input) =>
        guard.unary(
          Method.entityEdit,
          ctx,
          () => entities.validateInput(input),
          (i, claims) => entities.edit(i, claims),
        ),
      revert: (ctx, ref) =>
        guard.unary(
          Method.entityRevert,
          ctx,
          () => entities.validateRevert(ref),
          (i, claims) => entities.revert(i, claims),
        ),
      get: (ctx, ref) =>
        guard.unary(
          Method.entityGet,
          ctx,
          () => entities.validateRef(ref),
          (i) => entities.get(i),
        ),
      getMany: async (ctx, keys) => {
        // Each key is decided as its own Get, so a batched read withholds exactly what single Gets would.
        const found = await guard.list(
          Method.entityGet,
          ctx,
          () => keys,
          (k) => entities.getMany(k),
        );
        const byKey = new Map(found.filter((e) => e !== null).map((e) => [keyOf(e), e]));
        return keys.map((k) => byKey.get(keyOf(k)) ?? null);
      },
      del: (ctx, ref) =>
        guard.unary(
          Method.entityDel,
          ctx,
          () => entities.validateRef(ref),
          (i, claims) => entities.del(i, claims),
        ),
      search: (ctx, opts) =>
        guard.list(
          Method.entitySearch,
          ctx,
          () => entities.validateSearch(opts),
          (q) => entities.search(q),
        ),
      listTypes: (ctx, opts) =>
        guard.list(
          Method.entityListTypes,
          ctx,
          () => entities.validateListTypes(opts),
          (q) => entities.listTypes(q),
        ),
    },
    events: {
      stream: (ctx, opts) =>
        guard.stream(
          Method.eventStream,
          ctx,
          () => events.validateStream(opts),
          (o) => events.stream(o),
        ),
      search: (ctx, opts) =>
        guard.list(
          Method.eventSearch,
          ctx,
          () => events.validateSearch(opts),
          (q) => events.search(q),
        ),
      get: (ctx, ref) =>
        guard.unary(
          Method.eventGet,
          ctx,
          () => entities.validateEventRef(ref),
          (r) => events.get(r),
        ),
    },
    peers: {
      broadcast: (ctx, message) =>
        guard.unary(
          Method.peerBroadcast,
          ctx,
          () => peers.validateMessage(message),
          (m, claims) => peers.broadcast(m, claims),
        ),
      stream: (ctx, opts) =>
        guard.stream(
          Method.peerStream,
          ctx,
          () => peers.validateStream(opts),
          (o) => peers.stream(o),
        ),
    },
    cache: {
      set: (ctx, entry) =>
        guard.unary(
          Method.cacheSet,
          ctx,
          () => cache.validateEntry(entry),
          (e) => cache.set(e),
        ),
      get: (ctx, ref) =>
        guard.unary(
          Method.cacheGet,
          ctx,
          () => cache.validateRef(ref),
          (r) => cache.get(r),
        ),
      del: (ctx, ref) =>
        guard.unary(
          Method.cacheDel,
          ctx,
          () => cache.validateRef(ref),
          (r) => cache.del(r),
        ),
    },
    mutex: {
      lock: (ctx, request) =>
        guard.unary(
          Method.mutexLock,
          ctx,
          () => mutex.validateLock(request),
          (r) => mutex.lock(r),
        ),
      unlock: (ctx, ref) =>
        guard.unary(
          Method.mutexUnlock,
          ctx,
          () => mutex.validateUnlock(ref),
          (r) => mutex.unlock(r),
        ),
    },
    triggers: {
      create: (ctx, input) =>
        triggerCall(
          Method.triggerCreate,
          ctx,
          (t) => t.validateCreate(input),
          (t, i) => t.create(i),
        ),
      list: (ctx, opts) =>
        guard.list(
          Method.triggerList,
          ctx,
          () => {
            triggersOrRefuse(triggers);
            return { prefix: opts?.prefix ?? '' };
          },
          ({ prefix }) => triggersOrRefuse(triggers).list(prefix),
        ),
      get: (ctx, name) =>
        triggerCall(
          Method.triggerGet,
          ctx,
          (t) => t.validateName(name),
          (t, n) => t.get(n),
        ),
      delete: (ctx, name) =>
        triggerCall(
          Method.triggerDelete,
          ctx,
          (t) => t.validateName(name),
          (t, n) => t.delete(n),
        ),
      replay: (ctx, request) =>
        triggerCall(
          Method.triggerReplay,
          ctx,
          (t) => t.validateReplay(request),
          (t, r) => t.replay(r),
        ),
    },
  };

  return {
    api,
    stats: () => ({
      eventSubscribers: eventHub.stats.subscribers,
      messageSubscribers: messageHub.stats.subscribers,
      bufferedItems: eventHub.stats.buffered + messageHub.stats.buffered,
      logPosition: eventHub.stats.position,
    }),
    readiness: () => readiness.probe(),
    async close(drain: ShutdownDrain = {}) {
      readiness.close();
      // Deliveries stop and their leases are released first, so another instance takes them over at once.
      await triggers?.engine.close();
      // Streams first: a stream is a request in flight too, which only ends when its hub ends it.
      await eventHub.close();
      await messageHub.close();
      // A write already running is answered rather than failed by a storage closed under it ("storage is
      // closed"); bounded, so a call stuck on an unreachable provider cannot hold the shutdown up.
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, drain.timeoutMs ?? 10_000);
      });
      const drained = (async () => {
        await drain.transports?.();
        await guard.drained();
      })();
      await Promise.race([drained, deadline]);
      clearTimeout(timer);
      const results = await Promise.allSettled([
        deps.storage.close(),
        deps.bus.close(),
        deps.cache.close(),
        deps.mutex.close(),
      ]);
      for (const result of results) {
        if (result.status === 'rejected') logger.error({ err: result.reason }, 'a provider failed to close');
      }
    },
  };
}

/** Starts delivery of the cluster's triggers, after creating or updating those STATEGATE_TRIGGERS declares. */
async function startTriggers(
  deps: StategateDeps,
  t: TriggerDeps,
  limits: Limits,
  logger: Logger,
  metrics: Metrics,
): Promise<{ service: TriggerService; engine: TriggerEngine }> {
  await t.store.open();
  const engine = new TriggerEngine(
    t.store,
    deps.mutex,
    { store: t.store, log: deps.storage, sender: t.sender, logger, metrics },
    { concurrency: t.concurrency, leaseMs: t.leaseMs, ...(t.pollMs !== undefined && { pollMs: t.pollMs }) },
  );
  const service = new TriggerService({ store: t.store, storage: deps.storage, sender: t.sender, engine, limits });
  await service.declare(t.declared);
  engine.start();
  return { service, engine };
}

function triggersOrRefuse(triggers: { service: TriggerService } | null): TriggerService {
  if (triggers === null) {
    throw new StategateError('UNIMPLEMENTED', 'triggers are not available on this storage provider');
  }
  return triggers.service;
}

function keyOf(key: { domain: string; type: string; key: string }): string {
  return JSON.stringify([key.domain, key.type, key.key]);
}
