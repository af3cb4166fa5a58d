import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TracingConfig } from '../../config/tracing-config.js';
import type { BusProvider } from '../../core/ports/bus.js';
import type { Logger } from '../../core/ports/logger.js';
import type { StorageProvider } from '../../core/ports/storage.js';
import { noTracer, type Tracer } from '../../core/ports/tracer.js';
import { redactUrl } from '../../providers/redact-url.js';
import { STATEGATE_VERSION } from '../../version.js';
import { createHttpSpans, type TracedServe } from './http-span.js';
import { createOtelTracer } from './otel-tracer.js';
import { traceBus, traceStorage } from './traced-providers.js';

/** Everything the app wires for tracing, or pass-throughs when it is off (no cost on any request). */
export interface Tracing {
  /** What core marks its stages with. */
  tracer: Tracer;
  /** Runs one request of the port in its transport span. */
  serve(req: IncomingMessage, res: ServerResponse, serve: TracedServe): void;
  storage(storage: StorageProvider): StorageProvider;
  bus(bus: BusProvider): BusProvider;
  /** Exports the spans still queued (bounded by the exporter's timeout), then stops. */
  close(): Promise<void>;
}

const off: Tracing = {
  tracer: noTracer,
  serve: (_req, _res, serve) => serve(undefined),
  storage: (storage) => storage,
  bus: (bus) => bus,
  close: async () => {},
};

export async function createTracing(config: TracingConfig | null, logger: Logger): Promise<Tracing> {
  if (config === null) return off;
  // The SDK and exporters load only when tracing is on: a server without it never pays their memory.
  const [{ createTracerProvider }, { W3CTraceContextPropagator }] = await Promise.all([
    import('./otel-provider.js'),
    import('@opentelemetry/core'),
  ]);
  const provider = createTracerProvider(config);
  const otelTracer = provider.getTracer('stategate', STATEGATE_VERSION);
  const propagator = new W3CTraceContextPropagator();
  const tracer = createOtelTracer(otelTracer, propagator);
  logger.info(
    {
      exporter: config.exporter,
      protocol: config.protocol,
      url: config.exporter === 'otlp' ? redactUrl(config.url) : undefined,
    },
    'tracing on',
  );
  let closed: Promise<void> | null = null;
  return {
    tracer,
    serve: createHttpSpans(otelTracer, propagator),
    storage: (storage) => traceStorage(storage, tracer),
    bus: (bus) => traceBus(bus, tracer),
    close() {
      closed ??= provider.shutdown().catch((err: unknown) => {
        // Spans lost at exit are no reason to fail a shutdown that otherwise went well.
        logger.warn({ err }, 'tracing: spans not exported at shutdown');
      });
      return closed;
    },
  };
}
