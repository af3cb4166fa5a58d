import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CounterName, GaugeName, HistogramName, Labels, Metrics } from '../../core/ports/metrics.js';

/** Latency buckets from 0.5 ms to 10 s: local sqlite calls sit at the bottom, a slow database at the top. */
const SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Group-commit batches hold 1 … a few hundred writes. */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/** The auth-failure reasons (core/ports/metrics.ts), pre-set to 0 so a scrape shows the whole set at once. */
const AUTH_REASONS = [
  'missing',
  'malformed',
  'too_large',
  'expired',
  'invalid_signature',
  'unknown_key',
  'claims',
  'jwks_unavailable',
  'invalid',
];

/** What the metrics read from the running core at scrape time (set once core has started). */
export interface LiveReadings {
  subscribers(): { events: number; messages: number };
  /** How many log positions the event tailer is behind the storage head. */
  tailLag(): Promise<number>;
}

/**
 * The Prometheus side of core's Metrics port, on a registry of its own (not prom-client's global one), so
 * two servers in one process never share series.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly counters: Record<CounterName, Counter>;
  private readonly histograms: Record<HistogramName, Histogram>;
  private readonly gauges: Record<GaugeName, Gauge>;
  readonly storageDuration: Histogram;
  readonly storageBatchSize: Histogram;
  private readings: LiveReadings | null = null;

  constructor() {
    const registers = [this.registry];
    const counter = (name: string, help: string, labelNames: string[] = []) =>
      new Counter({ name, help, labelNames, registers });
    const histogram = (name: string, help: string, labelNames: string[], buckets = SECONDS_BUCKETS) =>
      new Histogram({ name, help, labelNames, buckets, registers });
    this.counters = {
      requests: counter('stategate_requests_total', 'Calls finished, by gRPC method, transport and code.', [
        'method',
        'transport',
        'code',
      ]),
      authFailures: counter('stategate_auth_failures_total', 'Refused credentials, by reason.', ['reason']),
      eventsAppended: counter('stategate_events_appended_total', 'Events committed by this instance.'),
      deliveries: counter('stategate_stream_deliveries_total', 'Stream items handed to readers.', ['stream']),
      drops: counter('stategate_stream_drops_total', 'Buffered stream items discarded unread.', ['stream']),
      slowSubscriberCutoffs: counter(
        'stategate_slow_subscriber_cutoffs_total',
        'Subscribers ended RESOURCE_EXHAUSTED for a full buffer.',
        ['stream'],
      ),
      busPublished: counter('stategate_bus_published_total', 'Messages published on the bus.', ['topic']),
      busReceived: counter('stategate_bus_received_total', 'Messages received from the bus.', ['topic']),
      cacheHits: counter('stategate_cache_hits_total', 'Cache reads that found a live value.'),
      cacheMisses: counter('stategate_cache_misses_total', 'Cache reads that found nothing (or an expired value).'),
      locksGranted: counter('stategate_locks_granted_total', 'Mutex locks granted.'),
      locksRefused: counter('stategate_locks_refused_total', 'Mutex locks refused because the mutex was held.'),
      triggerDeliveries: counter(
        'stategate_trigger_deliveries_total',
        'Trigger delivery attempts by this instance, by trigger and outcome (delivered, failed, dead_lettered).',
        ['trigger', 'outcome'],
      ),
    };
    // Every closed label value starts at 0, so a scrape shows each series before its first event.
    for (const reason of AUTH_REASONS) this.counters.authFailures.inc({ reason }, 0);
    for (const kind of ['events', 'messages']) {
      for (const name of ['deliveries', 'drops', 'slowSubscriberCutoffs'] as const) {
        this.counters[name].inc({ stream: kind }, 0);
      }
      this.counters.busPublished.inc({ topic: kind }, 0);
      this.counters.busReceived.inc({ topic: kind }, 0);
    }
    this.histograms = {
      requestDuration: histogram('stategate_request_duration_seconds', 'Call latency, admission to answer.', [
        'method',
        'transport',
        'code',
      ]),
      policyDuration: histogram('stategate_policy_evaluation_duration_seconds', 'One policy evaluation.', ['stage']),
    };
    this.gauges = {
      openStreams: new Gauge({
        name: 'stategate_open_streams',
        help: 'Streams open now, by transport.',
        labelNames: ['transport'],
        registers,
      }),
      triggerPosition: new Gauge({
        name: 'stategate_trigger_cursor_position',
        help: 'The cursor of a trigger (last log position done), on the instance delivering it.',
        labelNames: ['trigger'],
        registers,
      }),
      triggerLag: new Gauge({
        name: 'stategate_trigger_lag_positions',
        help: 'Log positions committed after the cursor of a trigger, on the instance delivering it.',
        labelNames: ['trigger'],
        registers,
      }),
      triggerDeadLetters: new Gauge({
        name: 'stategate_trigger_dead_letters',
        help: 'Events in the dead-letter list of a trigger, on the instance delivering it.',
        labelNames: ['trigger'],
        registers,
      }),
      triggerAttempts: new Gauge({
        name: 'stategate_trigger_attempts',
        help: 'Failed attempts of the oldest pending event of a trigger, on the instance delivering it.',
        labelNames: ['trigger'],
        registers,
      }),
    };
    this.storageDuration = histogram('stategate_storage_duration_seconds', 'Storage call latency.', [
      'operation',
      'outcome',
    ]);
    this.storageBatchSize = histogram(
      'stategate_storage_batch_size',
      'Writes per group-commit transaction.',
      [],
      BATCH_BUCKETS,
    );
    const self = this;
    new Gauge({
      name: 'stategate_subscribers',
      help: 'Stream subscribers registered in the hubs, by stream kind.',
      labelNames: ['stream'],
      registers,
      collect() {
        const now = self.readings?.subscribers() ?? { events: 0, messages: 0 };
        this.set({ stream: 'events' }, now.events);
        this.set({ stream: 'messages' }, now.messages);
      },
    });
    new Gauge({
      name: 'stategate_log_tail_lag_positions',
      help: 'Log positions committed but not yet read by the event tailer of this instance.',
      registers,
      async collect() {
        this.set(self.readings ? await self.readings.tailLag() : 0);
      },
    });
    collectDefaultMetrics({ register: this.registry });
    // prom-client also reports these counts as gauges named *_total, which Prometheus reserves for counters
    // (promtool refuses them); the same values stay as nodejs_active_{handles,requests,resources}.
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      this.registry.removeSingleMetric(name);
    }
  }

  /** Starts reading live values from core (subscribers, tail lag). */
  watch(readings: LiveReadings): void {
    this.readings = readings;
  }

  count(name: CounterName, labels: Labels = {}, by = 1): void {
    this.counters[name].inc(labels, by);
  }

  observe(name: HistogramName, value: number, labels: Labels = {}): void {
    this.histograms[name].observe(labels, value);
  }

  add(name: GaugeName, delta: number, labels: Labels = {}): void {
    this.gauges[name].inc(labels, delta);
  }
}
