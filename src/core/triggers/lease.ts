import type { MutexLease } from '../model.js';
import type { MutexProvider } from '../ports/cache.js';
import type { Logger } from '../ports/logger.js';

/**
 * The mutex domain of trigger leases. It holds a space, which no client's Lock can name (names have no
 * whitespace), so no caller can take or release a trigger's lease through the API.
 */
export const LEASE_DOMAIN = 'stategate triggers';

/**
 * One instance's exclusive right to deliver one trigger: a TTL lock renewed at a third of its TTL. The
 * mutex port has no renew, so renewal is release-and-lock with the holder's token: if another instance
 * slips in between (or the TTL ran out during a pause), `lost` fires and this instance stops delivering;
 * the store's fencing epoch keeps a stale holder from moving the cursor either way.
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

  /** The lease, or null while another instance holds it (or the mutex cannot be reached). */
  static async acquire(
    mutex: MutexProvider,
    name: string,
    ttlMs: number,
    logger: Logger,
  ): Promise<TriggerLease | null> {
    try {
      const lease = await mutex.lock({ domain: LEASE_DOMAIN, key: name }, ttlMs);
      return lease === null ? null : new TriggerLease(mutex, lease, ttlMs, logger);
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
    try {
      const released = await this.mutex.unlock({ domain: LEASE_DOMAIN, key, token });
      const next = released === 'released' ? await this.mutex.lock({ domain: LEASE_DOMAIN, key }, this.ttlMs) : null;
      if (next === null) {
        this.logger.warn({ trigger: key, outcome: released }, 'trigger lease lost: another instance delivers it');
        this.stop('lost');
        return;
      }
      this.lease = next;
      if (this.held) this.schedule();
      else await this.mutex.unlock({ domain: LEASE_DOMAIN, key, token: next.token }).catch(() => undefined);
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
