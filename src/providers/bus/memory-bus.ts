import { invalid, unavailable } from '../../core/errors.js';
import type { BusProvider, Unsubscribe } from '../../core/ports/bus.js';

export interface MemoryBusOptions {
  /** How often expired claims are dropped (default 1000 ms); `claim` itself never trusts a stale one. */
  sweepIntervalMs?: number;
  /**
   * Told about a handler that threw. A failing handler never disturbs the others; by default its error
   * is dropped because handlers belong to core, which catches and reports its own failures.
   */
  onHandlerError?: (err: unknown, topic: string) => void;
}

/** A BusProvider plus counters that let tests check that memory stays bounded. */
export interface MemoryBus extends BusProvider {
  /** Claims held right now, including expired ones the sweeper has not dropped yet. */
  readonly claimCount: number;
  /** Topics with at least one subscriber. */
  readonly topicCount: number;
}

type Handler = (payload: string) => void;
/** A subscription is an object (not the bare handler) so the same function may subscribe twice. */
type Subscription = { handler: Handler; active: boolean };

/**
 * The single-process bus: the default, and the reference the contract suite describes. Delivery runs
 * in a later turn of the event loop, like a networked bus, so a handler never runs inside the publisher's
 * call stack and a handler that publishes again cannot starve I/O.
 */
export function createMemoryBus(options: MemoryBusOptions = {}): MemoryBus {
  const sweepIntervalMs = options.sweepIntervalMs ?? 1000;
  if (!(sweepIntervalMs > 0)) throw invalid('memory bus: sweepIntervalMs must be > 0');
  const onHandlerError = options.onHandlerError ?? (() => {});

  const topics = new Map<string, Set<Subscription>>();
  /** Claim key → expiry on the monotonic clock (so wall-clock jumps cannot shorten or stretch a claim) and owner. */
  const claims = new Map<string, { exp: number; owner: string | undefined }>();
  let closed = false;

  const sweep = () => {
    const now = performance.now();
    for (const [key, { exp }] of claims) if (exp <= now) claims.delete(key);
  };
  const sweeper = setInterval(sweep, sweepIntervalMs);
  sweeper.unref(); // an idle bus must not keep the process alive

  const ensureOpen = () => {
    if (closed) throw unavailable('memory bus is closed');
  };

  const deliver = (topic: string, subs: Subscription[], payload: string) => {
    for (const sub of subs) {
      // Unsubscribed (or closed) since publish: the unsubscriber was promised silence.
      if (!sub.active || closed) continue;
      try {
        // Handlers are typed void, but an async one would otherwise leak an unhandled rejection.
        const result: unknown = sub.handler(payload);
        if (result instanceof Promise) result.catch((err: unknown) => onHandlerError(err, topic));
      } catch (err) {
        onHandlerError(err, topic);
      }
    }
  };

  return {
    name: 'memory',

    async publish(topic, payload) {
      ensureOpen();
      const subs = topics.get(topic);
      if (!subs || subs.size === 0) return;
      // Snapshot now: "subscribed at publish time" decides who receives it. Immediates run in FIFO
      // order, which keeps publish order per topic.
      const targets = [...subs];
      setImmediate(deliver, topic, targets, payload);
    },

    async subscribe(topic, handler): Promise<Unsubscribe> {
      ensureOpen();
      const sub: Subscription = { handler, active: true };
      const subs = topics.get(topic) ?? new Set<Subscription>();
      topics.set(topic, subs);
      subs.add(sub);
      return async () => {
        sub.active = false;
        const current = topics.get(topic);
        if (!current) return;
        current.delete(sub);
        if (current.size === 0) topics.delete(topic); // keep the topic map bounded by live topics
      };
    },

    async claim(key, ttlMs, owner) {
      ensureOpen();
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw invalid('claim ttlMs must be a positive number');
      const now = performance.now();
      const held = claims.get(key);
      if (held !== undefined && held.exp > now) return owner !== undefined && held.owner === owner;
      claims.set(key, { exp: now + ttlMs, owner });
      return true;
    },

    async close() {
      closed = true;
      clearInterval(sweeper);
      for (const subs of topics.values()) for (const sub of subs) sub.active = false;
      topics.clear();
      claims.clear();
    },

    get claimCount() {
      return claims.size;
    },
    get topicCount() {
      return topics.size;
    },
  };
}
