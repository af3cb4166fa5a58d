import { StategateError } from './errors.js';
import type { JsonObject } from './model.js';
import type { CallContext } from './ports/access.js';

/** What the server admits at once and per second; built from config (STATEGATE_RATE_LIMIT_* and friends). */
export interface AdmissionLimits {
  /** Calls per second per principal; 0 = no rate limit. */
  rateLimitRps: number;
  /** How many calls a principal may make at once above the steady rate. */
  rateLimitBurst: number;
  /** Unary calls running at once on this instance; more are shed. */
  maxInFlight: number;
  /** Streams one principal may hold open at once on this instance. */
  streamsPerPrincipal: number;
}

export const unlimitedAdmission: AdmissionLimits = {
  rateLimitRps: 0,
  rateLimitBurst: 1,
  maxInFlight: Number.MAX_SAFE_INTEGER,
  streamsPerPrincipal: Number.MAX_SAFE_INTEGER,
};

/** Buckets idle this long are full again, so they are forgotten (bounded memory under many principals). */
const IDLE_BUCKET_MS = 60_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Admission control in front of every call: a token bucket per principal (the JWT `sub`, else the client's
 * IP), a bound on unary calls in flight (overload is shed at once instead of queueing until clients time
 * out), and a bound on streams per principal. Refusals are RESOURCE_EXHAUSTED with a retry hint.
 */
export class Admission {
  private readonly buckets = new Map<string, Bucket>();
  private readonly streams = new Map<string, number>();
  private inFlight = 0;
  /** Who waits for the unary calls in flight to settle (shutdown, before the providers close). */
  private idleWaiters: Array<() => void> = [];
  private lastSweep = 0;

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Who a call is accounted to: its `sub` claim when authenticated, else its IP address. */
  static principal(ctx: CallContext, claims: JsonObject): string {
    const sub = claims.sub;
    if (typeof sub === 'string' && sub !== '') return `sub:${sub}`;
    return `ip:${ctx.peer ?? 'unknown'}`;
  }

  /** Takes one token of the principal's bucket, or throws RESOURCE_EXHAUSTED saying when to retry. */
  charge(principal: string): void {
    const { rateLimitRps: rate, rateLimitBurst: burst } = this.limits;
    if (rate <= 0) return;
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(principal) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) * rate) / 1000);
    bucket.at = now;
    this.buckets.set(principal, bucket);
    if (bucket.tokens < 1) {
      const retryAfterMs = Math.ceil(((1 - bucket.tokens) * 1000) / rate);
      throw new StategateError('RESOURCE_EXHAUSTED', `rate limit of ${rate} calls per second exceeded`, {
        retryAfterMs,
      });
    }
    bucket.tokens -= 1;
  }

  /** Runs a unary call if there is room in flight; sheds it with RESOURCE_EXHAUSTED otherwise. */
  async inFlightCall<T>(run: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.limits.maxInFlight) {
      throw new StategateError('RESOURCE_EXHAUSTED', 'server overloaded: too many calls in flight, retry shortly', {
        retryAfterMs: 1000,
      });
    }
    this.inFlight++;
    try {
      return await run();
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** Resolves once no unary call is running (at once when none is). */
  drained(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Counts a stream of the principal; answers its release, or throws when the principal holds too many. */
  openStream(principal: string): () => void {
    const open = this.streams.get(principal) ?? 0;
    if (open >= this.limits.streamsPerPrincipal) {
      throw new StategateError(
        'RESOURCE_EXHAUSTED',
        `too many open streams (at most ${this.limits.streamsPerPrincipal} per client)`,
      );
    }
    this.streams.set(principal, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.streams.get(principal) ?? 1) - 1;
      if (left <= 0) this.streams.delete(principal);
      else this.streams.set(principal, left);
    };
  }

  get stats(): { inFlight: number; principalsWithStreams: number } {
    return { inFlight: this.inFlight, principalsWithStreams: this.streams.size };
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < IDLE_BUCKET_MS) return;
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.at > IDLE_BUCKET_MS) this.buckets.delete(key);
    }
  }
}
