/** Bounds core enforces on every transport. Built from config; every field has a safe default. */
export interface Limits {
  /** Items a stream subscriber may have waiting; past it the subscriber is cut off (RESOURCE_EXHAUSTED). */
  streamBuffer: number;
  /** Search `limit` above this is capped. */
  searchLimitCap: number;
  /** Longest stream glob. */
  globLength: number;
  /** Deepest JSON nesting in values, bodies and cache values. */
  jsonDepth: number;
  /** Lease length when Lock gives no `exp`, ms. */
  mutexDefaultTtlMs: number;
  /** Longest lease Lock grants, ms. */
  mutexMaxTtlMs: number;
  /** How often the log is polled for events another instance committed, in case a bus hint was lost (G5). */
  logPollMs: number;
}

export const defaultLimits: Limits = {
  streamBuffer: 1024,
  searchLimitCap: 1000,
  globLength: 256,
  jsonDepth: 32,
  mutexDefaultTtlMs: 60_000,
  mutexMaxTtlMs: 3_600_000,
  logPollMs: 1_000,
};
