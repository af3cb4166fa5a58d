import type { CacheEntry, CacheRef, MutexLease, MutexRef } from '../model.js';

/** Short-lived values. Core re-checks `exp` on read, so an expired value is never returned. */
export interface CacheProvider {
  readonly name: string;
  set(entry: CacheEntry): Promise<void>;
  get(ref: CacheRef): Promise<CacheEntry | null>;
  del(ref: CacheRef): Promise<void>;
  /** One cheap round-trip, for readiness; rejects UNAVAILABLE when unreachable. Absent in-process. */
  ping?(): Promise<void>;
  close(): Promise<void>;
}

export type UnlockOutcome = 'released' | 'not-held' | 'wrong-token';

/** TTL locks with fencing numbers (G7). */
export interface MutexProvider {
  readonly name: string;
  /** Grants a lease for `ttlMs`, or null while another holder's lease is live. */
  lock(ref: { domain: string; key: string }, ttlMs: number): Promise<MutexLease | null>;
  /** Without a token releases any holder; with one, only the holder of that token. */
  unlock(ref: MutexRef): Promise<UnlockOutcome>;
  /** One cheap round-trip, for readiness; rejects UNAVAILABLE when unreachable. Absent in-process. */
  ping?(): Promise<void>;
  close(): Promise<void>;
}
