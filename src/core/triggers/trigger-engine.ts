import type { MutexProvider } from '../ports/cache.js';
import type { Labels } from '../ports/metrics.js';
import type { TriggerStore } from '../ports/trigger-store.js';
import { defaultBackoff } from './backoff.js';
import { TriggerLease } from './lease.js';
import { sleep } from './sleep.js';
import { TriggerWorker, type WorkerDeps } from './trigger-worker.js';

export interface TriggerEngineOptions {
  concurrency: number;
  /** A lease's TTL, ms: how long a dead instance's triggers wait before another instance takes them over. */
  leaseMs: number;
  /** How often the set of triggers is read and free ones are claimed, ms. */
  scanMs?: number;
  pollMs?: number;
  batchSize?: number;
  backoff?: WorkerDeps['backoff'];
}

type Readings = { position: number; lag: number; deadLetters: number; attempts: number };
const GAUGES = {
  position: 'triggerPosition',
  lag: 'triggerLag',
  deadLetters: 'triggerDeadLetters',
  attempts: 'triggerAttempts',
} as const;

/**
 * Runs the triggers of the cluster: every instance scans the stored triggers and tries to lease each one
 * it is not delivering; the instance that gets a lease delivers that trigger (TriggerWorker) until it
 * loses the lease, the trigger is deleted, or the engine closes. A dead instance's leases expire after
 * `leaseMs`, and the next scan elsewhere takes them over.
 */
export class TriggerEngine {
  private readonly running = new Map<string, { lease: TriggerLease; done: Promise<void> }>();
  private readonly reported = new Map<string, Readings>();
  private readonly stopped = new AbortController();
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly store: TriggerStore,
    private readonly mutex: MutexProvider,
    private readonly deps: Omit<WorkerDeps, 'report' | 'concurrency' | 'batchSize' | 'pollMs' | 'backoff'>,
    private readonly options: TriggerEngineOptions,
  ) {}

  start(): void {
    this.loop ??= this.scanLoop();
  }

  /** Scans now (a trigger was created or replayed here) instead of at the next tick. */
  poke(): void {
    this.wake?.();
  }

  /** Stops every worker and releases its lease, so another instance takes over without waiting for the TTL. */
  async close(): Promise<void> {
    this.stopped.abort();
    this.poke();
    await this.loop;
    const workers = [...this.running.values()];
    await Promise.all(workers.map((w) => w.lease.release()));
    await Promise.all(workers.map((w) => w.done));
  }

  private async scanLoop(): Promise<void> {
    const scanMs = this.options.scanMs ?? 1000;
    while (!this.stopped.signal.aborted) {
      try {
        await this.scan();
      } catch (err) {
        this.deps.logger.warn({ err }, 'trigger scan failed; retrying');
      }
      const woken = new AbortController();
      this.wake = () => woken.abort();
      await sleep(scanMs, AbortSignal.any([woken.signal, this.stopped.signal]));
      this.wake = null;
    }
  }

  private async scan(): Promise<void> {
    for (const record of await this.store.list()) {
      const name = record.spec.name;
      if (this.stopped.signal.aborted) return;
      if (this.running.has(name)) continue;
      const lease = await TriggerLease.acquire(this.mutex, name, this.options.leaseMs, this.deps.logger);
      if (lease === null) continue;
      if (this.stopped.signal.aborted) {
        await lease.release();
        return;
      }
      const worker = new TriggerWorker(name, lease, {
        ...this.deps,
        concurrency: this.options.concurrency,
        batchSize: this.options.batchSize ?? 256,
        pollMs: this.options.pollMs ?? 200,
        backoff: this.options.backoff ?? defaultBackoff,
        report: (n, readings) => this.report(n, readings),
      });
      const done = worker
        .run()
        .catch((err: unknown) => this.deps.logger.error({ err, trigger: name }, 'trigger worker failed'))
        .finally(async () => {
          await lease.release();
          this.running.delete(name);
          this.report(name, { position: 0, lag: 0, deadLetters: 0, attempts: 0 });
        });
      this.running.set(name, { lease, done });
    }
  }

  /** Gauges move by deltas (the metrics port has no set): this instance's series returns to 0 when it stops. */
  private report(name: string, readings: Readings): void {
    const first = !this.reported.has(name);
    const before = this.reported.get(name) ?? { position: 0, lag: 0, deadLetters: 0, attempts: 0 };
    const labels: Labels = { trigger: name };
    for (const field of Object.keys(GAUGES) as (keyof Readings)[]) {
      const delta = readings[field] - before[field];
      // The first report adds 0s too, so each series is on the scrape before it first moves.
      if (delta !== 0 || first) this.deps.metrics.add(GAUGES[field], delta, labels);
    }
    this.reported.set(name, readings);
  }
}
