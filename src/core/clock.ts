/** Time source for event times. Injected so tests and providers can agree on it. */
export interface Clock {
  /** Nanoseconds since the Unix epoch; strictly increasing within this process. */
  nowNs(): bigint;
  nowMs(): number;
}

/**
 * Wall-clock time anchored once to `Date.now()` and advanced by the monotonic high-resolution timer, so
 * event times never go backwards inside one process even when the system clock is adjusted.
 */
export function createSystemClock(): Clock {
  const anchor = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  let last = 0n;
  return {
    nowNs() {
      let now = anchor + process.hrtime.bigint();
      if (now <= last) now = last + 1n;
      last = now;
      return now;
    },
    nowMs: () => Date.now(),
  };
}
