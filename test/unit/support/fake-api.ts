import type { StategateApi, Subscription } from '../../../src/core/api.js';
import { StategateError } from '../../../src/core/errors.js';
import type { CacheEntry, Entity, EntityKey, Event, MutexLease, PeerMessage } from '../../../src/core/model.js';
import type { CallContext } from '../../../src/core/ports/access.js';
import type { TriggerView } from '../../../src/core/triggers/model.js';

/** A subscription the test drives: push items, fail it, and see whether the server closed it. */
export class FakeSubscription<T> implements Subscription<T> {
  closed = false;
  private readonly items: T[] = [];
  private failure: unknown;
  private wake: (() => void) | undefined;

  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }

  fail(error: unknown): void {
    this.failure = error;
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    while (true) {
      const item = this.items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.closed) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }
}

const keyOf = (k: EntityKey) => `${k.domain}/${k.type}/${k.key}`;

/**
 * A StategateApi that keeps entities in a map and records every call with its CallContext — enough to
 * test the GraphQL layer's translation without core. `failNext` makes the next call throw.
 */
export function createFakeApi() {
  const entities = new Map<string, Entity>();
  const cache = new Map<string, CacheEntry>();
  const calls: { method: string; ctx: CallContext; input: unknown }[] = [];
  const eventStreams: FakeSubscription<Event>[] = [];
  const messageStreams: FakeSubscription<PeerMessage>[] = [];
  let position = 0;
  let failure: unknown;

  const record = (method: string, ctx: CallContext, input: unknown) => {
    calls.push({ method, ctx, input });
    if (failure !== undefined) {
      const error = failure;
      failure = undefined;
      throw error;
    }
  };

  const eventOf = (entity: Entity, method: string): Event => ({
    id: `00000000-0000-4000-8000-${String(++position).padStart(12, '0')}`,
    entity,
    claims: {},
    time: 1_700_000_000_000_000_000n + BigInt(position),
    method,
    position,
  });

  const api: StategateApi = {
    authenticate: async () => ({}),
    entities: {
      async set(ctx, input) {
        record('entities.set', ctx, input);
        const current = entities.get(keyOf(input));
        const stored: Entity = {
          domain: input.domain,
          type: input.type,
          key: input.key,
          values: input.values,
          version: (current?.version ?? 0) + 1,
        };
        entities.set(keyOf(input), stored);
        return eventOf(stored, '/stategate.EntityService/Set');
      },
      async edit(ctx, input) {
        record('entities.edit', ctx, input);
        const current = entities.get(keyOf(input));
        if (!current) throw new StategateError('NOT_FOUND', 'entity not found');
        const stored = { ...current, values: { ...current.values, ...input.values }, version: current.version + 1 };
        entities.set(keyOf(input), stored);
        return stored;
      },
      async revert(ctx, ref) {
        record('entities.revert', ctx, ref);
        throw new StategateError('NOT_FOUND', 'event not found');
      },
      async get(ctx, ref) {
        record('entities.get', ctx, ref);
        const found = entities.get(keyOf(ref));
        if (!found) throw new StategateError('NOT_FOUND', 'entity not found');
        return found;
      },
      async getMany(ctx, keys) {
        record('entities.getMany', ctx, keys);
        return keys.map((k) => entities.get(keyOf(k)) ?? null);
      },
      async del(ctx, ref) {
        record('entities.del', ctx, ref);
        const found = entities.get(keyOf(ref));
        if (!found) throw new StategateError('NOT_FOUND', 'entity not found');
        entities.delete(keyOf(ref));
        return eventOf(found, '/stategate.EntityService/Del');
      },
      async search(ctx, opts) {
        record('entities.search', ctx, opts);
        return [...entities.values()].filter((e) => e.domain === opts.domain && e.type === opts.type);
      },
      async listTypes(ctx, opts) {
        record('entities.listTypes', ctx, opts);
        const counts = new Map<string, { domain: string; type: string; count: number }>();
        for (const e of entities.values()) {
          if (opts.domain !== undefined && e.domain !== opts.domain) continue;
          const id = JSON.stringify([e.domain, e.type]);
          const pair = counts.get(id) ?? { domain: e.domain, type: e.type, count: 0 };
          pair.count += 1;
          counts.set(id, pair);
        }
        return [...counts.values()];
      },
    },
    events: {
      async stream(ctx, opts) {
        record('events.stream', ctx, opts);
        const sub = new FakeSubscription<Event>();
        eventStreams.push(sub);
        return sub;
      },
      async search(ctx, opts) {
        record('events.search', ctx, opts);
        return [...entities.values()]
          .filter((e) => e.domain === opts.domain && e.type === opts.type)
          .map((e) => eventOf(e, '/stategate.EntityService/Set'));
      },
      async get(ctx, ref) {
        record('events.get', ctx, ref);
        const entity = entities.get(keyOf(ref));
        if (!entity) throw new StategateError('NOT_FOUND', 'event not found');
        return { ...eventOf(entity, '/stategate.EntityService/Set'), id: ref.id };
      },
    },
    peers: {
      async broadcast(ctx, message) {
        record('peers.broadcast', ctx, message);
        const sent: PeerMessage = { ...message, id: 'm1', claims: {}, time: 1n };
        for (const sub of messageStreams) if (!sub.closed) sub.push(sent);
        return sent;
      },
      async stream(ctx, opts) {
        record('peers.stream', ctx, opts);
        const sub = new FakeSubscription<PeerMessage>();
        messageStreams.push(sub);
        return sub;
      },
    },
    cache: {
      async set(ctx, entry) {
        record('cache.set', ctx, entry);
        cache.set(`${entry.domain}/${entry.key}`, entry);
      },
      async get(ctx, ref) {
        record('cache.get', ctx, ref);
        const found = cache.get(`${ref.domain}/${ref.key}`);
        if (!found) throw new StategateError('NOT_FOUND', 'cache entry not found');
        return found;
      },
      async del(ctx, ref) {
        record('cache.del', ctx, ref);
        cache.delete(`${ref.domain}/${ref.key}`);
      },
    },
    mutex: {
      async lock(ctx, request): Promise<MutexLease> {
        record('mutex.lock', ctx, request);
        return {
          domain: request.domain,
          key: request.key,
          exp: request.exp ?? new Date('2030-01-01T00:00:00Z'),
          token: 'tok',
          fencing: 7,
        };
      },
      async unlock(ctx, ref) {
        record('mutex.unlock', ctx, ref);
      },
    },
    // Triggers: each call recorded and answered with the same view (the trigger transports' unit tests).
    triggers: {
      async create(ctx, input) {
        record('triggers.create', ctx, input);
        return triggerView(input.name);
      },
      async list(ctx, opts) {
        record('triggers.list', ctx, opts ?? {});
        return [triggerView('t1')];
      },
      async get(ctx, name) {
        record('triggers.get', ctx, name);
        return triggerView(name);
      },
      async delete(ctx, name) {
        record('triggers.delete', ctx, name);
        return triggerView(name);
      },
      async replay(ctx, request) {
        record('triggers.replay', ctx, request);
        return { replayed: request.eventIds?.length ?? 0 };
      },
    },
  };

  return {
    api,
    calls,
    entities,
    eventStreams,
    messageStreams,
    /** The next API call throws this. */
    failNext(error: unknown) {
      failure = error;
    },
    callsOf(method: string) {
      return calls.filter((c) => c.method === method);
    },
  };
}

export type FakeApi = ReturnType<typeof createFakeApi>;

function triggerView(name: string): TriggerView {
  return {
    name,
    url: 'https://hooks.example.com/in',
    domain: '*',
    type: '*',
    key: '*',
    headerNames: [],
    timeoutMs: 10_000,
    maxAttempts: 10,
    createdAt: 1_700_000_000_000,
    status: { position: 0, lag: 0, attempts: 0, lastError: null, deadLetterCount: 0, deadLetters: [] },
  };
}
