import type { Clock } from '../clock.js';
import { invalid, notFound } from '../errors.js';
import type { Limits } from '../limits.js';
import type { CacheEntry, CacheRef } from '../model.js';
import type { CacheProvider } from '../ports/cache.js';
import { type Metrics, noMetrics } from '../ports/metrics.js';
import { requireJsonValue, requireName } from '../validate.js';

/** The TTL cache. Expiry is enforced here as well as by the provider: an expired value is never returned. */
export class CacheService {
  constructor(
    private readonly cache: CacheProvider,
    private readonly clock: Clock,
    private readonly limits: Limits,
    private readonly metrics: Metrics = noMetrics,
  ) {}

  validateRef(ref: CacheRef): CacheRef {
    return { domain: requireName('domain', ref.domain), key: requireName('key', ref.key) };
  }

  validateEntry(entry: CacheEntry): CacheEntry {
    const value = requireJsonValue('value', entry.value, { maxDepth: this.limits.jsonDepth });
    if (entry.exp !== undefined) {
      if (Number.isNaN(entry.exp.getTime())) throw invalid('exp is not a valid time');
      if (entry.exp.getTime() <= this.clock.nowMs()) throw invalid('exp is in the past');
    }
    return { ...this.validateRef(entry), value, ...(entry.exp ? { exp: entry.exp } : {}) };
  }

  set(entry: CacheEntry): Promise<void> {
    return this.cache.set(entry);
  }

  async get(ref: CacheRef): Promise<CacheEntry> {
    const entry = await this.cache.get(ref);
    if (!entry || (entry.exp && entry.exp.getTime() <= this.clock.nowMs())) {
      this.metrics.count('cacheMisses');
      throw notFound(`cache value ${ref.domain}/${ref.key} does not exist`);
    }
    this.metrics.count('cacheHits');
    return entry;
  }

  del(ref: CacheRef): Promise<void> {
    return this.cache.del(ref);
  }
}
