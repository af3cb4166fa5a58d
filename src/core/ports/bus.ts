/**
 * The fan-out channel between stategate instances. It is a fast path only: events are read from the
 * log, so a lost bus message delays an event but never loses it (G5). Peer messages travel only here.
 */
export interface BusProvider {
  readonly name: string;
  publish(topic: string, payload: string): Promise<void>;
  /** Delivers every payload published on `topic` (by any instance) after the returned promise resolves. */
  subscribe(topic: string, handler: (payload: string) => void): Promise<Unsubscribe>;
  /**
   * Claims `key` cluster-wide for `ttlMs`: resolves true for exactly one caller across all instances.
   * Consumer groups use it so that each item reaches one member of a group, wherever it is connected.
   * With an `owner`, the claim is idempotent for that owner: asking again while its claim holds resolves
   * true again. So a claim that failed (or timed out) on the way back, yet landed, is not lost to its
   * owner's retry; the owner must itself make sure it acts on a claim once.
   */
  claim(key: string, ttlMs: number, owner?: string): Promise<boolean>;
  /**
   * One cheap round-trip to the broker, for readiness; rejects UNAVAILABLE when it cannot be reached.
   * Absent for in-process buses, which cannot be unreachable.
   */
  ping?(): Promise<void>;
  close(): Promise<void>;
}

export type Unsubscribe = () => Promise<void>;
