/**
 * What core reports to operators, by name; the server maps the names to Prometheus series
 * (src/server/metrics). Labels are a fixed small set of closed values (methods, transports, codes, reasons)
 * and never keys, ids or principals, so the number of series stays bounded whatever the traffic.
 */
export type CounterName =
  /** One finished call: labels method, transport, code. */
  | 'requests'
  /** Authentication refused: label reason (see AuthFailureReason). */
  | 'authFailures'
  /** An event committed by this instance. */
  | 'eventsAppended'
  /** An item handed to a stream reader: label stream (events | messages). */
  | 'deliveries'
  /** Items discarded from a subscriber's buffer when it was cut off or ended: label stream. */
  | 'drops'
  /** A subscriber ended RESOURCE_EXHAUSTED because its buffer overflowed: label stream. */
  | 'slowSubscriberCutoffs'
  /** A bus publish / a bus message received: label topic (events | messages). */
  | 'busPublished'
  | 'busReceived'
  | 'cacheHits'
  | 'cacheMisses'
  | 'locksGranted'
  | 'locksRefused'
  /** One trigger delivery attempt: labels trigger (its name; the number of triggers is capped), outcome (delivered | failed | dead_lettered). */
  | 'triggerDeliveries';

export type HistogramName =
  /** Seconds a call took, admission to answer: labels method, transport, code. */
  | 'requestDuration'
  /** Seconds one policy evaluation took: label stage (request | response). */
  | 'policyDuration';

export type GaugeName =
  /** Streams open now: label transport. */
  | 'openStreams'
  /** Per trigger (label trigger), reported by the instance delivering it (0 elsewhere): its cursor position, */
  | 'triggerPosition'
  /** log positions committed after its cursor, */
  | 'triggerLag'
  /** its dead letters, */
  | 'triggerDeadLetters'
  /** and the failed attempts of its oldest pending event. */
  | 'triggerAttempts';

export type Labels = Readonly<Record<string, string>>;

export interface Metrics {
  count(name: CounterName, labels?: Labels, by?: number): void;
  observe(name: HistogramName, value: number, labels?: Labels): void;
  /** Moves a gauge up or down (open/close pairs). */
  add(name: GaugeName, delta: number, labels?: Labels): void;
}

/** The default when nobody scrapes: every report is dropped. */
export const noMetrics: Metrics = { count() {}, observe() {}, add() {} };

/** Why authentication failed, as a closed set (a label value; never the token or a claim). */
export type AuthFailureReason =
  | 'missing'
  | 'malformed'
  | 'too_large'
  | 'expired'
  | 'invalid_signature'
  | 'unknown_key'
  | 'claims'
  | 'jwks_unavailable'
  | 'invalid';
