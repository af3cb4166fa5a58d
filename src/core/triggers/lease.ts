import type { MutexLease } from '../model.js';
import type { MutexProvider } from '../ports/cache.js';
import type { Logger } from '../ports/logger.js';
import { sleep } from './sleep.js';

/**
 * The mutex domain of trigger leases. It holds a space, which no client's Lock can name (names have no
 * whitespace), so no caller can take or release a trigger's lease through the API.
 */
export const LEASE_DOMAIN = 'stategate triggers';
/** The guard of a trigger's lease (a trigger name has no space either, so no trigger is named like it). */
const guardKey = (name: string) => `${name} guard`;
/** How long a guard is held at most: one lock attempt, or one renewal. */
const GUARD_TTL_MS = 5000;

/**
 * One instance's exclusive right to deliver one trigger: a TTL lock, renewed at a third of its TTL. The
 * mutex port has no renew, so renewal is release-and-lock with the holder's token; a second lock, the
 * guard, closes the gap in between: every attempt to take a lease (`acquire`) and every renewal holds the
 * guard, so no other instance can slip in while the holder renews. If the lease is lost anyway (the TTL
 * ran out during a pause, the mutex cannot be reached), `signal` aborts and this instance stops
 * delivering; the store's fencing epoch keeps a stale holder from moving the cursor either way.
 */
export class TriggerLease {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly mutex: MutexProvider,
    private lease: MutexLease,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {
    this.schedule();
  }

  /** The lease, or null while another instance holds it (or renews it, or the mutex cannot be reached). */
  static async acquire(
    mutex: MutexProvider,
    name: string,
    ttlMs: number,
    logger: Logger,
  ): Promise<TriggerLease | null> {
    try {
      const lease = await guarded(mutex, name, () => mutex.lock({ domain: LEASE_DOMAIN, key: name }, ttlMs));
      return lease === null || lease === undefined ? null : new TriggerLease(mutex, lease, ttlMs, logger);
    } catch (err) {
      logger.warn({ err, trigger: name }, 'trigger lease: the mutex could not be reached');
      return null;
    }
  }

  /** Aborts once the lease is lost or released. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get held(): boolean {
    return !this.controller.signal.aborted;
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.stop('released');
    await this.mutex
      .unlock({ domain: LEASE_DOMAIN, key: this.lease.key, token: this.lease.token })
      .catch((err: unknown) => this.logger.warn({ err, trigger: this.lease.key }, 'trigger lease: release failed'));
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.renew(), Math.max(100, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    if (!this.held) return;
    const { key, token } = this.lease;
    const deadline = Date.now() + this.ttlMs / 3;
    try {
      // The guard is busy only for one lock attempt of another instance: try again until it is free.
      let next: MutexLease | null | undefined;
      while (next === undefined && this.held && Date.now() < deadline) {
        next = await guarded(this.mutex, key, async () => {
          const released = await this.mutex.unlock({ domain: LEASE_DOMAIN, key, token });
          return released === 'released' ? this.mutex.lock({ domain: LEASE_DOMAIN, key }, this.ttlMs) : null;
        });
        if (next === undefined) await sleep(10 + Math.random() * 20);
      }
      if (!this.held) {
        if (next) await this.mutex.unlock({ domain: LEASE_DOMAIN, key, token: next.token }).catch(() => undefined);
        return;
      }
      if (!next) {
        this.logger.warn({ trigger: key }, 'trigger lease lost: it expired or another instance holds it');
        this.stop('lost');
        return;
      }
      this.lease = next;
      this.schedule();
    } catch (err) {
      this.logger.warn({ err, trigger: key }, 'trigger lease lost: the mutex could not be reached');
      this.stop('lost');
    }
  }

  private stop(reason: string): void {
    clearTimeout(this.timer);
    if (this.held) this.controller.abort(new Error(`trigger lease ${reason}`));
  }
}

/** Runs `work` holding the trigger's guard; undefined (without running it) while someone else holds the guard. */
async function guarded<T>(mutex: MutexProvider, name: string, work: () => Promise<T>): Promise<T | undefined> {
  const guard = await mutex.lock({ domain: LEASE_DOMAIN, key: guardKey(name) }, GUARD_TTL_MS);
  if (guard === null) return undefined;
  try {
    return await work();
  } finally {
    await mutex.unlock({ domain: LEASE_DOMAIN, key: guardKey(name), token: guard.token }).catch(() => undefined);
  }
}
