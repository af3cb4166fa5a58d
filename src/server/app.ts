import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/config.js';
import { createStategate, type Stategate } from '../core/stategate.js';
import type { AppLogger } from '../logger.js';
import { createAccessPolicy } from '../policy/index.js';
import { createBus, createCacheAndMutex, createStorage } from '../providers/index.js';
import { createRpcHandler } from '../transports/connect/index.js';
import { useRest } from '../transports/rest/index.js';
import { createGraphqlServer } from './graphql.js';
import { createOnePort } from './one-port.js';
import { sendLiveness, sendReadiness } from './probes.js';

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
}

/** Opens the providers, starts core and serves every transport on the configured port. */
export async function startApp(config: Config, logger: AppLogger): Promise<App> {
  // Policies compile first: a policy that cannot load stops the server before any database is opened.
  const access = await createAccessPolicy(config, logger.child({ component: 'policy' }));
  const storage = await createStorage(config.storage, logger.child({ component: 'storage' }));
  const bus = await createBus(config.channel, logger.child({ component: 'bus' }));
  const { cache, mutex } = await createCacheAndMutex(config.cache, logger.child({ component: 'cache' }));
  const stategate = await createStategate({
    storage,
    bus,
    cache,
    mutex,
    access,
    admission: config.network,
    limits: config.limits,
    logger: logger.child({ component: 'core' }),
  });

  const graphql = createGraphqlServer({
    api: stategate.api,
    logger: logger.child({ component: 'graphql' }),
    graphqlEndpoint: GRAPHQL_PATH,
    cors: config.cors,
    maxSubscriptionsPerConnection: config.subscriptionsPerConnection,
    maxBodyBytes: config.maxBodyBytes,
    maxWebsocketsPerPrincipal: config.network.websocketsPerPrincipal,
    // REST (every other /api/ path) is a Yoga plugin: the same server, CORS and core calls as GraphQL.
    plugins: [
      useRest({
        api: stategate.api,
        logger: logger.child({ component: 'rest' }),
        maxBodyBytes: config.maxBodyBytes,
        // A body is its fields' object around values core bounds to jsonDepth.
        maxJsonDepth: config.limits.jsonDepth + 8,
      }),
    ],
  });

  const rpc = createRpcHandler({
    api: stategate.api,
    logger: logger.child({ component: 'rpc' }),
    readMaxBytes: config.maxBodyBytes,
    cors: config.cors,
    readiness: () => stategate.readiness(),
  });

  const port = createOnePort((req, res) => route(req, res), config.tls ?? undefined);
  const httpServer = port.http1;
  function route(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path === GRAPHQL_PATH || path?.startsWith('/api/')) {
      void graphql.yoga(req, res);
      return;
    }
    // gRPC, gRPC-Web and Connect: /stategate.EntityService/Set, /grpc.health.v1.Health/Check, …
    if (path !== undefined && rpc.matches(path)) {
      rpc.handle(req, res);
      return;
    }
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
    sendJson(res, 404, { code: 5, message: `no route for ${req.method} ${path}`, details: [] });
  }
  const websockets = graphql.attachWebSocket(httpServer);

  await new Promise<void>((resolve, reject) => {
    port.listener.once('error', reject);
    port.listener.listen(config.port, config.host, () => {
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
      // Streams end first (each subscriber gets UNAVAILABLE), then sockets drain and the port closes.
      const stopped = port.close(config.shutdownTimeoutMs);
      await stategate.close();
      await access.close();
      rpc.close();
      await websockets.close();
      // Connections whose last request was a stream that just ended are idle keep-alives now: close them
      // instead of waiting for their keep-alive timeout.
      port.http1.closeIdleConnections();
      await stopped;
    })();
    return closing;
  };

  return { url, port: boundPort, config, stategate, httpServer, close };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
