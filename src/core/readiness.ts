import { isStategateError } from './errors.js';
import type { Logger } from './ports/logger.js';

/** The outcome of one dependency's check. `ms` is how long this probe waited for it. */
export interface CheckResult {
  ok: boolean;
  ms: number;
  /** Why it failed: the provider's UNAVAILABLE message, or that it did not answer in time. */
  error?: string;
}

export type CheckName = 'storage' | 'bus' | 'cache' | 'mutex';

/**
 * Whether this instance should get traffic. `ready` follows storage alone: without the log no write, read
 * or stream resume can succeed. The bus, cache and mutex only degrade the instance (`degraded`): writes
 * and streams keep working because streams read the log (the bus is a fast path, G5), so taking the
 * instance out of rotation for them would only move the same failure to the next instance, which shares
 * the same Redis or NATS — and take every instance out at once.
 */
export interface Readiness {
  ready: boolean;
  degraded: boolean;
  checks: Record<CheckName, CheckResult>;
}

export interface ReadinessOptions {
  /** How long one check may take before it counts as failed (default 2000 ms): the probe never hangs. */
  timeoutMs?: number;
  /** How long an answer is reused (default 1000 ms), so a storm of probes costs one round-trip a second. */
  cacheMs?: number;
}

export const DEFAULT_READINESS_TIMEOUT_MS = 2000;
export const DEFAULT_READINESS_CACHE_MS = 1000;

/** The longest error text reported; a driver message is enough to tell refused from timed out. */
const MAX_ERROR_CHARS = 200;

/**
 * Probes the dependencies with cheap real round-trips, in parallel, each bounded by a timeout. One probe
 * runs at a time: concurrent callers share it, and its answer is reused for `cacheMs`. A check whose
 * previous call has not answered yet is not called again (a hung database is not sent a new query every
 * second); the new probe waits on the same call, again at most `timeoutMs`.
 */
export class ReadinessProbe {
  private readonly timeoutMs: number;
  private readonly cacheMs: number;
  private readonly inFlight = new Map<CheckName, Promise<unknown>>();
  /** The whole error of each failing check, for the log: the report carries only a safe summary. */
  private readonly causes = new Map<CheckName, unknown>();
  private current: Promise<Readiness> | null = null;
  private answeredAt = 0;
  private last: Readiness | null = null;
  private closed = false;

  constructor(
    private readonly checks: Record<CheckName, (() => Promise<unknown>) | undefined>,
    private readonly logger: Logger,
    options: ReadinessOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS;
    this.cacheMs = options.cacheMs ?? DEFAULT_READINESS_CACHE_MS;
  }

  /** The latest answer, probing again when it is older than `cacheMs`. */
  probe(): Promise<Readiness> {
    if (this.closed) return Promise.resolve(shuttingDown());
    const fresh = this.current && performance.now() - this.answeredAt < this.cacheMs;
    if (this.current && (fresh || this.answeredAt === 0)) return this.current;
    this.answeredAt = 0; // 0 while running: callers join the running probe
    const running = this.run().then((readiness) => {
      this.answeredAt = performance.now();
      this.report(readiness);
      return readiness;
    });
    this.current = running;
    return running;
  }

  /** From now on the instance is draining: not ready, without touching providers that are closing. */
  close(): void {
    this.closed = true;
  }

  private async run(): Promise<Readiness> {
    const names = Object.keys(this.checks) as CheckName[];
    const results = await Promise.all(names.map((name) => this.check(name)));
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i]])) as Record<CheckName, CheckResult>;
    const ready = checks.storage.ok;
    return { ready, degraded: ready && names.some((n) => !checks[n].ok), checks };
  }

  private async check(name: CheckName): Promise<CheckResult> {
    const call = this.checks[name];
    if (!call) return { ok: true, ms: 0 }; // in-process providers (memory) cannot be unreachable
    this.causes.delete(name);
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let pending = this.inFlight.get(name);
    if (!pending) {
      // A provider that throws synchronously is as unreachable as one that rejects.
      pending = Promise.resolve()
        .then(call)
        .finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, pending);
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    try {
      const outcome = await Promise.race([pending.then(() => 'ok' as const), timedOut]);
      if (outcome === 'timeout') return { ok: false, ms: elapsed(), error: `no answer within ${this.timeoutMs} ms` };
      return { ok: true, ms: elapsed() };
    } catch (err) {
      this.causes.set(name, err);
      return { ok: false, ms: elapsed(), error: describe(err) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Logs changes only (with the whole error once), not every probe: probes come every few seconds. */
  private report(readiness: Readiness): void {
    const before = this.last;
    this.last = readiness;
    for (const [name, result] of Object.entries(readiness.checks)) {
      const was = before?.checks[name as CheckName]?.ok ?? true;
      if (was && !result.ok) {
        const err = this.causes.get(name as CheckName);
        this.logger.warn({ check: name, error: result.error, err }, 'readiness check failing');
      } else if (!was && result.ok) this.logger.info({ check: name }, 'readiness check passing again');
    }
  }
}

/** The answer while shutting down: a load balancer should stop sending new requests. */
function shuttingDown(): Readiness {
  const down: CheckResult = { ok: false, ms: 0, error: 'shutting down' };
  return { ready: false, degraded: false, checks: { storage: down, bus: down, cache: down, mutex: down } };
}

/**
 * What a failed check says, safe for an unauthenticated endpoint: a StategateError's message (what clients
 * already get for UNAVAILABLE), with any credentials in a URL blanked; anything else as "internal error".
 */
function describe(err: unknown): string {
  if (!isStategateError(err)) return 'internal error';
  const text = err.message.replace(/(\/\/[^/@\s:]*):[^/@\s]*@/g, '$1:***@');
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}
