import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/config.js';
import { createStategate, type Stategate } from '../core/stategate.js';
import type { AppLogger } from '../logger.js';
import { createAccessPolicy } from '../policy/index.js';
import { createBus, createCacheAndMutex, createStorage } from '../providers/index.js';
import { createRpcHandler, rpcTransport } from '../transports/connect/index.js';
import { useRest } from '../transports/rest/index.js';
import { createGraphqlServer } from './graphql.js';
import { createConsoleHandler, isConsolePath } from './http/console.js';
import { createCors } from './http/cors.js';
import { createInFlightGate } from './http/in-flight-gate.js';
import { type Surface, sendJson, sendRefusal } from './http/refusal.js';
import { observeAccess, observeApi } from './logging/observe-calls.js';
import { createRequestLog } from './logging/request-log.js';
import { useOperationName } from './logging/use-operation-name.js';
import { createOperationsMetrics } from './metrics/operations-metrics.js';
import { closeAfterAnswer } from './network/close-after-answer.js';
import { isOverflow } from './network/connection-gate.js';
import { reloadTls } from './network/tls-reload.js';
import { createOnePort } from './one-port.js';
import { sendLiveness, sendReadiness } from './probes.js';
import { createTracing } from './tracing/index.js';
import { triggerDeps } from './triggers/trigger-deps.js';

export const GRAPHQL_PATH = '/api/graphql';

/** A running server. */
export interface App {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  config: Config;
  stategate: Stategate;
  httpServer: Server;
  /** Graceful shutdown: stop accepting, end streams, flush and close providers. Idempotent. */
  close(): Promise<void>;
  /**
   * Reads STATEGATE_TLS_CERT_FILE / _KEY_FILE again for new connections (SIGHUP). False, with the reason
   * logged, when the port is cleartext or the new pair is unusable (the current certificate stays).
   */
  reloadTls(): boolean;
}

/** Opens the providers, starts core and serves every transport on the configured port. */
export async function startApp(config: Config, logger: AppLogger): Promise<App> {
  // Policies compile first: a policy that cannot load stops the server before any database is opened.
  const access = await createAccessPolicy(config, logger.child({ component: 'policy' }));
  const operations = createOperationsMetrics(config.metrics, logger.child({ component: 'metrics' }));
  const tracing = await createTracing(config.tracing, logger.child({ component: 'tracing' }));
  const rawStorage = await createStorage(config.storage, logger.child({ component: 'storage' }));
  const storage = operations.instrument(tracing.storage(rawStorage));
  const bus = tracing.bus(await createBus(config.channel, logger.child({ component: 'bus' })));
  const { cache, mutex } = await createCacheAndMutex(config.cache, logger.child({ component: 'cache' }));
  // Triggers keep their state in the storage's own database (the uninstrumented provider holds the accessor).
  const triggers = triggerDeps(config, rawStorage);
  const stategate = await createStategate({
    storage,
    bus,
    cache,
    mutex,
    // Observed for the request log: the verified `sub` and the methods called (see server/logging).
    access: observeAccess(access),
    admission: config.network,
    limits: config.limits,
    logger: logger.child({ component: 'core' }),
    metrics: operations.metrics,
    tracer: tracing.tracer,
    ...(triggers && { triggers: triggers.deps }),
  }).catch(triggers?.startFailed ?? ((err: unknown) => Promise.reject(err)));

  const api = observeApi(stategate.api);
  const graphql = createGraphqlServer({
    api,
    logger: logger.child({ component: 'graphql' }),
    graphqlEndpoint: GRAPHQL_PATH,
    maxSubscriptionsPerConnection: config.subscriptionsPerConnection,
    maxBodyBytes: config.maxBodyBytes,
    graphql: config.graphql,
    searchLimitCap: config.limits.searchLimitCap,
    maxWebsocketsPerPrincipal: config.network.websocketsPerPrincipal,
    // REST (every other /api/ path) is a Yoga plugin: the same server and core calls as GraphQL.
    plugins: [
      useRest({
        api,
        logger: logger.child({ component: 'rest' }),
        maxBodyBytes: config.maxBodyBytes,
        // A body is its fields' object around values core bounds to jsonDepth.
        maxJsonDepth: config.limits.jsonDepth + 8,
      }),
      useOperationName(),
    ],
  });

  const rpc = createRpcHandler({
    api,
    logger: logger.child({ component: 'rpc' }),
    readMaxBytes: config.maxBodyBytes,
    readiness: () => stategate.readiness(),
  });

  const port = createOnePort({
    handler: (req, res) => route(req, res),
    limits: config.network,
    tls: config.tls ?? undefined,
  });
  const httpServer = port.http1;
  const cors = createCors(config.cors);
  // The web console's static files (/console); it talks to the server through the public GraphQL API.
  const consolePages = config.console ? createConsoleHandler({ logger: logger.child({ component: 'console' }) }) : null;
  const inFlight = createInFlightGate(config.network.maxInFlight);
  const requestLog = createRequestLog(logger.child({ component: 'request' }), (req, path) =>
    path === GRAPHQL_PATH
      ? 'graphql'
      : path.startsWith('/api/')
        ? 'rest'
        : rpc.matches(path)
          ? rpcTransport(req.headers['content-type'] ?? null)
          : 'http',
  );

  /**
   * Every request of the port, both protocols: the answer headers every transport shares (nosniff, CORS,
   * preflights), the probes, then what the port refuses before a transport reads a byte of the body
   * (see refuseEarly), then the transport.
   */
  function route(req: IncomingMessage, res: ServerResponse): void {
    // One trace span (when tracing is on) and one log line per request, both ended when it ends.
    tracing.serve(req, res, (finish) => requestLog(req, res, () => serve(req, res), finish));
  }

  function serve(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('x-content-type-options', 'nosniff');
    const overflow = isOverflow(req.socket);
    if (overflow) closeAfterAnswer(req, res);
    if (cors(req, res)) return;
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz') {
      sendLiveness(res);
      return;
    }
    if (path === '/readyz') {
      sendReadiness(res, () => stategate.readiness()).catch((err: unknown) => {
        logger.error({ err }, 'readiness probe failed');
        if (!res.headersSent) sendJson(res, 500, { code: 13, message: 'internal error', details: [] });
      });
      return;
    }
    const surface: Surface =
      path === GRAPHQL_PATH ? 'graphql' : path.startsWith('/api/') ? 'rest' : rpc.matches(path) ? 'rpc' : 'other';
    if (refuseEarly(req, res, surface, overflow)) return;
    // 'checkContinue' requests come here too: only one that will be served is told to send its body.
    if (/^100-continue$/i.test(String(req.headers.expect ?? ''))) res.writeContinue();
    if (surface === 'graphql' || surface === 'rest') {
      void graphql.yoga(req, res);
    } else if (surface === 'rpc') {
      // gRPC, gRPC-Web and Connect: /stategate.EntityService/Set, /grpc.health.v1.Health/Check, …
      rpc.handle(req, res);
    } else if (consolePages && isConsolePath(path)) {
      consolePages.handle(req, res, path);
    } else {
      sendJson(res, 404, { code: 5, message: `no route for ${req.method} ${path}`, details: [] });
    }
  }

  /**
   * Refusals that need no transport, each answered in the request's protocol without reading its body:
   * a connection over the connection limits (503, closed after the answer), a declared Content-Length
   * over STATEGATE_MAX_BODY_BYTES (413 / RESOURCE_EXHAUSTED, closed after the answer so the client reads
   * it instead of a reset), too many requests waiting for their answer (503 + Retry-After).
   */
  function refuseEarly(req: IncomingMessage, res: ServerResponse, surface: Surface, overflow: boolean): boolean {
    if (closing !== null) {
      // A request arriving on a kept-alive connection after shutdown began is not in flight: it is refused
      // (never acknowledged) and its connection closed, so the client's retry finds another instance.
      closeAfterAnswer(req, res);
      sendRefusal(req, res, surface, {
        status: 503,
        grpcCode: 14,
        message: 'server is shutting down: retry on another instance',
        retryAfterSeconds: 1,
      });
      return true;
    }
    if (overflow) {
      sendRefusal(req, res, surface, {
        status: 503,
        grpcCode: 14,
        message: 'too many connections: retry later',
        retryAfterSeconds: 1,
      });
      return true;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > config.maxBodyBytes) {
      closeAfterAnswer(req, res);
      sendRefusal(req, res, surface, {
        status: 413,
        grpcCode: 8,
        message: `the request body is larger than ${config.maxBodyBytes} bytes`,
      });
      return true;
    }
    if (!inFlight.enter(res)) {
      sendRefusal(req, res, surface, {
        status: 503,
        grpcCode: 14,
        message: 'overloaded: too many requests in flight, retry later',
        retryAfterSeconds: 1,
      });
      return true;
    }
    return false;
  }
  const websockets = graphql.attachWebSocket(httpServer);

  await new Promise<void>((resolve, reject) => {
    port.listener.once('error', reject);
    // A burst of connections waits in the kernel's accept queue instead of being dropped or reset (the
    // kernel caps the backlog at net.core.somaxconn).
    const backlog = Math.min(config.network.maxConnections, 65_535);
    port.listener.listen({ port: config.port, host: config.host, backlog }, () => {
      port.listener.off('error', reject);
      resolve();
    });
  });
  const { port: boundPort } = port.listener.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const scheme = config.tls ? 'https' : 'http';
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      await operations.close();
      // Streams end first (each subscriber gets UNAVAILABLE), then sockets drain and the port closes.
      const stopped = port.close(config.shutdownTimeoutMs);
      // Health watches and reflection streams end with the event and message streams: each is a request
      // in flight until it ends, which the drain below waits for.
      rpc.close();
      // Requests that arrived before the port closed are answered before storage closes, also those a
      // transport is still reading or parsing (not in core yet).
      await stategate.close({ timeoutMs: config.shutdownTimeoutMs, transports: () => inFlight.drained() });
      triggers?.close();
      await access.close();
      await websockets.close();
      // Connections whose last request was a stream that just ended are idle keep-alives now: close them
      // instead of waiting for their keep-alive timeout.
      port.http1.closeIdleConnections();
      await stopped;
      // Last: the spans of the requests answered during the drain are exported too.
      await tracing.close();
    })();
    return closing;
  };

  const reloadTlsNow = () => {
    const tlsLogger = logger.child({ component: 'tls' });
    if (!port.tlsServer || !config.tlsFiles) {
      tlsLogger.info({}, 'TLS reload requested, but the port is not TLS: nothing to reload');
      return false;
    }
    return reloadTls(port.tlsServer, config.tlsFiles, tlsLogger);
  };

  // The metrics port opens last; one that cannot listen stops the server as a whole, closed again.
  await operations.start(stategate, rawStorage).catch(async (err: unknown) => {
    await close();
    throw err;
  });

  return { url, port: boundPort, config, stategate, httpServer, close, reloadTls: reloadTlsNow };
}
