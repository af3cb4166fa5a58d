/** How long to wait before the next attempt of a failed delivery. */
export interface BackoffOptions {
  /** The first retry's delay, ms. */
  baseMs: number;
  /** No computed delay exceeds this, ms. */
  maxMs: number;
  /** A Retry-After longer than this is cut to it, ms (a receiver must not park a trigger for days). */
  maxRetryAfterMs: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 500, maxMs: 30_000, maxRetryAfterMs: 600_000 };

/**
 * Exponential backoff with jitter: after the n-th failed attempt, a delay drawn from [d/2, d] with
 * d = base * 2^(n-1) capped at max, so that many triggers failing together do not retry in lockstep.
 * The receiver's Retry-After wins when it asks for longer.
 */
export function retryDelayMs(
  failedAttempts: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions = defaultBackoff,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, failedAttempts - 1));
  const jittered = exponential / 2 + random() * (exponential / 2);
  if (retryAfterMs === undefined) return Math.round(jittered);
  return Math.round(Math.max(jittered, Math.min(retryAfterMs, options.maxRetryAfterMs)));
}
