import type { MetricsConfig } from '../../config/config.js';
import type { Logger } from '../../core/ports/logger.js';
import { type Metrics, noMetrics } from '../../core/ports/metrics.js';
import type { StorageProvider } from '../../core/ports/storage.js';
import type { Stategate } from '../../core/stategate.js';
import { instrumentStorage } from './instrumented-storage.js';
import { type MetricsServer, startMetricsServer } from './metrics-server.js';
import { PrometheusMetrics } from './prometheus-metrics.js';

/** Everything the app wires for operators, or nothing at all when the metrics port is off. */
export interface OperationsMetrics {
  /** What core reports into. */
  metrics: Metrics;
  /** Storage with its calls timed (unchanged when metrics are off). */
  instrument(storage: StorageProvider): StorageProvider;
  /** Opens the metrics port once core runs; `storage` is the uninstrumented one (scrapes are not storage traffic). */
  start(stategate: Stategate, storage: StorageProvider): Promise<MetricsServer | null>;
  close(): Promise<void>;
}

export function createOperationsMetrics(config: MetricsConfig | null, logger: Logger): OperationsMetrics {
  if (config === null) {
    return { metrics: noMetrics, instrument: (s) => s, start: async () => null, close: async () => {} };
  }
  const prometheus = new PrometheusMetrics();
  let server: MetricsServer | null = null;
  return {
    metrics: prometheus,
    instrument: (storage) => instrumentStorage(storage, prometheus.storageDuration, prometheus.storageBatchSize),
    async start(stategate, storage) {
      prometheus.watch({
        subscribers: () => {
          const stats = stategate.stats();
          return { events: stats.eventSubscribers, messages: stats.messageSubscribers };
        },
        tailLag: async () => Math.max(0, (await storage.headPosition()) - stategate.stats().logPosition),
      });
      server = await startMetricsServer(config, prometheus, logger);
      return server;
    },
    async close() {
      await server?.close();
      server = null;
    },
  };
}
