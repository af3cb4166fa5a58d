import type { Event } from '../model.js';
import type { TriggerSpec } from './model.js';

/** One delivery's answer: acknowledged (2xx) or failed, with how long the receiver asked us to wait. */
export type DeliveryOutcome =
  | { ok: true; status: number }
  | {
      ok: false;
      /** Why, for the trigger's status and the logs: `HTTP 503`, `timeout after 5000 ms`, … (never a secret). */
      error: string;
      /** The receiver's Retry-After, in ms, when it sent one. */
      retryAfterMs?: number;
    };

/**
 * Sends one event to a trigger's URL, signed: the HTTP side of delivery, which lives outside core
 * (src/server/triggers). Resolves for every answer and failure; rejects only when `signal` aborts.
 */
export interface WebhookSender {
  send(spec: TriggerSpec, event: Event, signal: AbortSignal): Promise<DeliveryOutcome>;
  /**
   * Refuses (INVALID_ARGUMENT) a URL whose host is or resolves to a loopback, private, link-local or metadata
   * address, unless private targets are allowed. Called when a trigger is created; `send` checks again.
   */
  checkTarget(url: string): Promise<void>;
}
