import type { Clock } from '../clock.js';
import { alreadyExists, failedPrecondition, invalid } from '../errors.js';
import type { Limits } from '../limits.js';
import type { MutexLease, MutexRef, MutexRequest } from '../model.js';
import type { MutexProvider } from '../ports/cache.js';
import { type Metrics, noMetrics } from '../ports/metrics.js';
import { requireName } from '../validate.js';

/** TTL mutex locks with fencing numbers (G7). */
export class MutexService {
  constructor(
    private readonly mutex: MutexProvider,
    private readonly clock: Clock,
    private readonly limits: Limits,
    private readonly metrics: Metrics = noMetrics,
  ) {}

  /** Resolves the lease length: `exp` if given (future, within the maximum), else the default. */
  validateLock(request: MutexRequest): { domain: string; key: string; ttlMs: number } {
    const domain = requireName('domain', request.domain);
    const key = requireName('key', request.key);
    if (!request.exp) return { domain, key, ttlMs: this.limits.mutexDefaultTtlMs };
    const ttlMs = request.exp.getTime() - this.clock.nowMs();
    if (Number.isNaN(ttlMs)) throw invalid('exp is not a valid time');
    if (ttlMs <= 0) throw invalid('exp is in the past');
    if (ttlMs > this.limits.mutexMaxTtlMs) {
      throw invalid(`exp is more than ${this.limits.mutexMaxTtlMs} ms away (the maximum lease)`);
    }
    return { domain, key, ttlMs };
  }

  validateUnlock(ref: MutexRef): MutexRef {
    const token = ref.token ?? '';
    return {
      domain: requireName('domain', ref.domain),
      key: requireName('key', ref.key),
      ...(token !== '' ? { token } : {}),
    };
  }

  async lock(request: { domain: string; key: string; ttlMs: number }): Promise<MutexLease> {
    const lease = await this.mutex.lock(request, request.ttlMs);
    if (!lease) {
      this.metrics.count('locksRefused');
      throw alreadyExists(`mutex ${request.domain}/${request.key} is already locked`);
    }
    this.metrics.count('locksGranted');
    return lease;
  }

  async unlock(ref: MutexRef): Promise<void> {
    const outcome = await this.mutex.unlock(ref);
    if (outcome === 'wrong-token') throw failedPrecondition(`mutex ${ref.domain}/${ref.key} is held by another lease`);
    if (outcome === 'not-held' && ref.token) {
      throw failedPrecondition(`mutex ${ref.domain}/${ref.key} is not held by that lease (it may have expired)`);
    }
  }
}
