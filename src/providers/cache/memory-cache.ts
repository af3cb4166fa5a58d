import { invalid, unavailable } from '../../core/errors.js';
import type { CacheEntry, JsonValue } from '../../core/model.js';
import type { CacheProvider } from '../../core/ports/cache.js';

export interface MemoryCacheOptions {
  /** How often expired entries are evicted (default 1000 ms); `get` never returns one regardless. */
  sweepIntervalMs?: number;
}

/** A CacheProvider plus a counter that lets tests check that memory stays bounded. */
export interface MemoryCache extends CacheProvider {
  /** Entries stored right now, including expired ones the sweeper has not evicted yet. */
  readonly size: number;
}

type Stored = { domain: string; key: string; value: JsonValue; expMs?: number };

/**
 * The single-process TTL cache. Values are deep-copied on the way in and out, so neither the writer nor
 * a reader can change what is stored by mutating their object (as with any networked cache).
 */
export function createMemoryCache(options: MemoryCacheOptions = {}): MemoryCache {
  const sweepIntervalMs = options.sweepIntervalMs ?? 1000;
  if (!(sweepIntervalMs > 0)) throw invalid('memory cache: sweepIntervalMs must be > 0');

  const entries = new Map<string, Stored>();
  let closed = false;

  // JSON of the pair: no choice of separator could be confused with one inside a domain or key.
  const id = (domain: string, key: string) => JSON.stringify([domain, key]);
  // `exp` is an absolute wall-clock instant chosen by the client, so it is compared with Date.now().
  const expired = (s: Stored, now: number) => s.expMs !== undefined && s.expMs <= now;

  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [k, s] of entries) if (expired(s, now)) entries.delete(k);
  }, sweepIntervalMs);
  sweeper.unref(); // an idle cache must not keep the process alive

  const ensureOpen = () => {
    if (closed) throw unavailable('memory cache is closed');
  };

  return {
    name: 'memory',

    async set({ domain, key, value, exp }) {
      ensureOpen();
      const expMs = exp?.getTime();
      if (expMs !== undefined && Number.isNaN(expMs)) throw invalid('cache exp is not a valid date');
      const stored: Stored = { domain, key, value: structuredClone(value) };
      if (expMs !== undefined) stored.expMs = expMs;
      entries.set(id(domain, key), stored);
    },

    async get({ domain, key }) {
      ensureOpen();
      const k = id(domain, key);
      const s = entries.get(k);
      if (!s) return null;
      if (expired(s, Date.now())) {
        entries.delete(k);
        return null;
      }
      const entry: CacheEntry = { domain: s.domain, key: s.key, value: structuredClone(s.value) };
      if (s.expMs !== undefined) entry.exp = new Date(s.expMs);
      return entry;
    },

    async del({ domain, key }) {
      ensureOpen();
      entries.delete(id(domain, key));
    },

    async close() {
      closed = true;
      clearInterval(sweeper);
      entries.clear();
    },

    get size() {
      return entries.size;
    },
  };
}
