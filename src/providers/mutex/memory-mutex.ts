import { randomUUID } from 'node:crypto';
import { invalid, unavailable } from '../../core/errors.js';
import type { MutexLease } from '../../core/model.js';
import type { MutexProvider } from '../../core/ports/cache.js';

export interface MemoryMutexOptions {
  /** How often expired leases are dropped (default 1000 ms); `lock` never honours a stale one. */
  sweepIntervalMs?: number;
}

/** A MutexProvider plus a counter that lets tests check that memory stays bounded. */
export interface MemoryMutex extends MutexProvider {
  /** Leases stored right now, including expired ones the sweeper has not dropped yet. */
  readonly leaseCount: number;
}

/** A granted lease and its expiry on the monotonic clock (wall-clock jumps must not free a lock early). */
type Held = { lease: MutexLease; deadline: number };

/**
 * The single-process TTL lock (G7). Every call runs to completion without awaiting, so concurrent
 * `lock` calls are serialised by the event loop and at most one of them finds the key free.
 */
export function createMemoryMutex(options: MemoryMutexOptions = {}): MemoryMutex {
  const sweepIntervalMs = options.sweepIntervalMs ?? 1000;
  if (!(sweepIntervalMs > 0)) throw invalid('memory mutex: sweepIntervalMs must be > 0');

  const held = new Map<string, Held>();
  // One counter for all keys: it rises with every grant of any key, hence strictly with every grant of
  // each key, and unlike per-key counters it needs no memory for keys that are no longer locked.
  let fencing = 0;
  let closed = false;

  const id = (domain: string, key: string) => JSON.stringify([domain, key]);
  const live = (h: Held | undefined, now = performance.now()): h is Held => h !== undefined && h.deadline > now;

  const sweeper = setInterval(() => {
    const now = performance.now();
    for (const [k, h] of held) if (!live(h, now)) held.delete(k);
  }, sweepIntervalMs);
  sweeper.unref(); // an idle mutex must not keep the process alive

  const ensureOpen = () => {
    if (closed) throw unavailable('memory mutex is closed');
  };

  return {
    name: 'memory',

    async lock({ domain, key }, ttlMs) {
      ensureOpen();
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw invalid('lock ttlMs must be a positive number');
      const k = id(domain, key);
      const now = performance.now();
      if (live(held.get(k), now)) return null;
      const lease: MutexLease = {
        domain,
        key,
        exp: new Date(Date.now() + ttlMs),
        token: randomUUID(),
        fencing: ++fencing,
      };
      held.set(k, { lease, deadline: now + ttlMs });
      return { ...lease, exp: new Date(lease.exp) }; // a copy: the caller cannot alter the stored lease
    },

    async unlock({ domain, key, token }) {
      ensureOpen();
      const k = id(domain, key);
      const h = held.get(k);
      if (!live(h)) {
        held.delete(k);
        return 'not-held';
      }
      if (token !== undefined && token !== h.lease.token) return 'wrong-token';
      held.delete(k);
      return 'released';
    },

    async close() {
      closed = true;
      clearInterval(sweeper);
      held.clear();
    },

    get leaseCount() {
      return held.size;
    },
  };
}
