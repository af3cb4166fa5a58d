import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../core/ports/logger.js';
import { createBearerCheck } from './bearer-check.js';
import { Profiler, sendText } from './profiles.js';
import type { PrometheusMetrics } from './prometheus-metrics.js';

export interface MetricsServerConfig {
  port: number;
  host: string;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token: string | null;
}

export interface MetricsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The operator port, apart from the API port so it can be bound and firewalled on its own: `/metrics`
 * (Prometheus text format), `/debug/pprof/profile?seconds=N` (CPU) and `/debug/pprof/heap` (pprof).
 * GET only; with a token configured, anything without it is 401 before any work is done.
 */
export async function startMetricsServer(
  config: MetricsServerConfig,
  metrics: PrometheusMetrics,
  logger: Logger,
): Promise<MetricsServer> {
  const authorized = config.token === null ? () => true : createBearerCheck(config.token);
  const profiler = new Profiler();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!authorized(req.headers.authorization)) {
      sendText(res, 401, 'unauthorized: send Authorization: Bearer <STATEGATE_METRICS_TOKEN>\n', {
        'www-authenticate': 'Bearer realm="stategate-metrics"',
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://metrics');
    switch (url.pathname) {
      case '/metrics': {
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(body);
        return;
      }
      case '/debug/pprof/profile':
        return profiler.cpu(url.searchParams, res);
      case '/debug/pprof/heap':
        return profiler.heap(res);
      default:
        sendText(res, 404, 'not found: /metrics, /debug/pprof/profile?seconds=N, /debug/pprof/heap\n');
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, path: req.url?.split('?')[0] }, 'metrics request failed');
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    // Named after the variable that fixes it; the address is the operator's own, no secret.
    const refuse = (err: NodeJS.ErrnoException) =>
      reject(
        new Error(`STATEGATE_METRICS_PORT: cannot listen on ${config.host}:${config.port} (${err.code})`, {
          cause: err,
        }),
      );
    server.once('error', refuse);
    server.listen({ port: config.port, host: config.host }, () => {
      server.off('error', refuse);
      server.on('error', (err) => logger.error({ err }, 'metrics port failed'));
      resolve();
    });
  });
  profiler.start();
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  logger.info({ port, host: config.host, bearerRequired: config.token !== null }, 'metrics port listening');
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        profiler.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
