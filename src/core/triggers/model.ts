/**
 * Event triggers: every event matching a trigger's globs is POSTed to its URL, signed per Standard Webhooks,
 * at least once, each entity's events in version order, from a durable cursor (see trigger-engine.ts).
 */

/** A trigger as a caller declares it (STATEGATE_TRIGGERS or createTrigger); validated by validateTrigger. */
export interface TriggerInput {
  name: string;
  url: string;
  /** Globs on the event's entity (`*` any run, `?` one character). */
  domain: string;
  type: string;
  /** Default `*`. */
  key?: string;
  /** `whsec_` + base64 of 24 to 64 random bytes: the HMAC-SHA256 key of the signatures. */
  secret: string;
  /** Extra request headers (never the webhook-*, content-* or host headers). */
  headers?: Record<string, string>;
  timeoutMs?: number;
  maxAttempts?: number;
  /** Where delivery starts: `now` (the log's head at creation, the default) or after this log position. */
  from?: 'now' | number;
}

/** A validated trigger, complete with its defaults; `from` resolved to the position delivery starts after. */
export interface TriggerSpec {
  name: string;
  url: string;
  domain: string;
  type: string;
  key: string;
  secret: string;
  headers: Record<string, string>;
  timeoutMs: number;
  maxAttempts: number;
}

/** A trigger as storage keeps it: its spec and its delivery state, shared by every instance. */
export interface TriggerRecord {
  spec: TriggerSpec;
  /** Every event at or below this position has been acknowledged or dead-lettered. */
  position: number;
  /** The fencing epoch of the last instance that claimed delivery (see TriggerStore.claim). */
  epoch: number;
  /** The last delivery failure's reason, null once the oldest pending event is acknowledged. */
  lastError: string | null;
  /** Failed attempts of the oldest pending event so far (0 when nothing is failing). */
  attempts: number;
  /** When the trigger was created, ms since the epoch. */
  createdAt: number;
}

/** An event that was not acknowledged after the trigger's maxAttempts. */
export interface DeadLetter {
  eventId: string;
  position: number;
  domain: string;
  type: string;
  key: string;
  attempts: number;
  lastError: string;
  /** When it was dead-lettered (or last replayed and failed), ms since the epoch. */
  time: number;
  /** Waiting to be sent again (replayTrigger). */
  replay: boolean;
}

/** What the API shows of a trigger: never its secret. */
export interface TriggerView {
  name: string;
  url: string;
  domain: string;
  type: string;
  key: string;
  /** Header names only: a header may carry a credential. */
  headerNames: string[];
  timeoutMs: number;
  maxAttempts: number;
  createdAt: number;
  status: TriggerStatus;
}

export interface TriggerStatus {
  position: number;
  /** Log positions committed after the cursor (the head minus the cursor). */
  lag: number;
  attempts: number;
  lastError: string | null;
  deadLetterCount: number;
  deadLetters: DeadLetter[];
}

/** replayTrigger: which dead letters to send again (none named = all of them). */
export interface ReplayRequest {
  name: string;
  eventIds?: string[];
}

export const TRIGGER_DEFAULTS = {
  key: '*',
  timeoutMs: 10_000,
  maxAttempts: 10,
} as const;
